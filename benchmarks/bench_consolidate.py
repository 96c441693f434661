"""Consolidation and rendering for N agencies (default 1,000): the end of the chain.

    python benchmarks/bench_consolidate.py [--n 1000] [--seed 7] [--profile]

Two sizes of agency: `--size agency` (default) trims the documents of bench_validate.py to what
one agency of a member reports (2-12 requirement rows, up to 3 deviations and 3 measures, texts of
1-2 paragraphs: about 14 table rows per agency, as in the engineering notes' measurement);
`--size full` keeps them as large as a whole member's report (5-30 requirement rows, texts of
1-6 paragraphs). The documents count as already read and validated: what is timed is
what `workbook consolidate` and `workbook report` do after reading (combining, writing the
consolidated workbook, rendering the Word report with an appendix per agency). Reading and
validating the same workbooks is bench_validate.py's figure. Target: under 5 s together.
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

from bench_validate import make_document, machine  # noqa: E402

from workbook.consolidate import combine, write_consolidated  # noqa: E402
from workbook.report import render_report  # noqa: E402
from workbook.validate import FileResult  # noqa: E402


TABLE_LIMITS = {"requirements": (2, 12), "deviations": (0, 3), "awareness_measures": (0, 3),
                "goals_reporting_year": (0, 2), "goals_next_year": (0, 2)}


def agency_sized(document: dict, rng: random.Random) -> dict:
    """Cut a whole member's answers down to one agency's."""
    data = document["data"]
    for key, (low, high) in TABLE_LIMITS.items():
        data[key] = data[key][: rng.randint(low, high)]
    data["deviations_found"] = bool(data["deviations"])
    data["awareness_done"] = bool(data["awareness_measures"])
    data["requirements_in_all"] = data["requirements_in_all"] and len(data["requirements"]) >= 5
    for key, value in data.items():
        if isinstance(value, str) and "\n\n" in value:
            data[key] = "\n\n".join(value.split("\n\n")[: rng.randint(1, 2)])
    return document


def results(n: int, seed: int, size: str = "agency") -> tuple[FileResult, list[FileResult]]:
    made = []
    rng = random.Random(seed)
    for index in range(n + 1):
        document, _ = make_document(index, seed)
        if size == "agency" and index > 0:
            document = agency_sized(document, rng)
        metadata = {k: document[k] for k in ("form_id", "form_version", "reporting_year", "agency")}
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
    rows = sum(len(a.document["data"][k]) for a in agencies for k in  # type: ignore[index]
               ("requirements", "deviations", "awareness_measures", "goals_reporting_year", "goals_next_year"))
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
