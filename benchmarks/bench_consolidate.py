"""Consolidation and rendering for N agencies (default 1,000): the end of the chain.

    python benchmarks/bench_consolidate.py [--n 1000] [--seed 7] [--profile]

Two sizes of agency: `--size agency` (default) trims the documents of benchmarks/corpus.py (made
from the form) to what one agency of a member reports (each table to at most a quarter of the
rows the workbook is pre-sized with: up to 7 requirement rows, up to 3 deviations and 3 measures,
texts of 1-2 paragraphs: about 10 table rows per agency); `--size full` keeps them as large as a
whole member's report (each table up to its pre-sized rows, texts of 1-6 paragraphs). The
documents count as already read and validated: what is timed is what `workbook consolidate` and
`workbook report` do after reading (combining, writing the consolidated workbook, rendering the
Word report with an appendix per agency). Reading and validating the same workbooks is
bench_validate.py's figure. Target: under 5 s together.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import FORM, keep_cross_rules, make_document  # noqa: E402
from measure import machine  # noqa: E402

from workbook.consolidate import combine, write_consolidated  # noqa: E402
from workbook.form import Form, load_form  # noqa: E402
from workbook.report import render_report  # noqa: E402
from workbook.validate import FileResult  # noqa: E402


#: An agency reports at most this share of the rows each table is pre-sized with.
AGENCY_ROWS_SHARE = 0.25


def tables(form: Form) -> list[str]:
    return [field.key for field in form.questions() if field.is_table]


def agency_sized(document: dict, rng: random.Random, form: Form) -> dict:
    """Cut a whole member's answers down to one agency's."""
    data = document["data"]
    for field in form.questions():
        if field.is_table:
            low = field.minlength or 0
            data[field.key] = data[field.key][: rng.randint(low, max(low, int(field.rows * AGENCY_ROWS_SHARE)))]
    keep_cross_rules(form, document)
    for key, value in data.items():
        if isinstance(value, str) and "\n\n" in value:
            data[key] = "\n\n".join(value.split("\n\n")[: rng.randint(1, 2)])
    return document


def results(n: int, seed: int, size: str = "agency") -> tuple[FileResult, list[FileResult]]:
    made = []
    rng = random.Random(seed)
    form = load_form(*FORM)
    for index in range(n + 1):
        document, _ = make_document(index, seed, form)
        if size == "agency" and index > 0:
            document = agency_sized(document, rng, form)
        metadata = {f.key: document[f.key] for f in form.metadata if f.key in document}
        made.append(FileResult(file=f"agency-{index}.xlsx", problems=[], metadata=metadata, document=document))
    member, agencies = made[0], made[1:]
    return member, agencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", choices=("agency", "full"), default="agency",
                        help="how much each agency reports (see above)")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    member, agencies = results(args.n, args.seed, args.size)
    rows = sum(len(a.document["data"][k]) for a in agencies for k in tables(load_form(*FORM)))  # type: ignore[index]
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp:
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        outcome = combine(agencies, member)
        combined = time.perf_counter()
        workbook = write_consolidated(outcome, Path(tmp) / "samlet.xlsx")
        written = time.perf_counter()
        report = render_report(outcome.document, Path(tmp) / "rapport.docx", appendix=outcome.appendix(),
                               form=outcome.form)
        rendered = time.perf_counter()
        if profiler:
            profiler.disable()
        sizes = workbook.stat().st_size, report.stat().st_size
    print(f"{args.n} agencies ({args.size}-sized), {rows} table rows, {len(outcome.texts)} free-text answers")
    print(f"  combine                     {combined - start:6.2f} s")
    print(f"  write consolidated workbook {written - combined:6.2f} s  ({sizes[0] / 1e6:.1f} MB)")
    print(f"  render Word report          {rendered - written:6.2f} s  ({sizes[1] / 1e6:.1f} MB)")
    print(f"  together                    {rendered - start:6.2f} s")
    for name, value in machine():
        print(f"  {name}: {value}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
