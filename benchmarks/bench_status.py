"""Benchmark: ``register status`` for a year of 1,000 agencies and a few thousand submissions.

    python benchmarks/bench_status.py [--n 1000] [--seed 2020] [--workdir DIR]

Builds a register (kept in the work folder, reused by the next run with the same --n and --seed):
the list of N agencies imported from a CSV file (``import_agencies``), and for about 85 % of them
1-5 versions each (about 2.9 on average) recorded through the library's own recording step of ``collect``
(``workbook.register.collect._record``, each in its own transaction, the bytes put in the store),
about one version in five invalid, plus 5 % of N submissions from agencies not on the list.
Validating thousands of workbooks is what ``bench_validate.py`` measures; here each version's
result is one of two real results (the Fjordvik samples, valid and invalid) under the agency's name.

Then it times, each three times (the best shown): ``status()``, the overview written as .xlsx and
as .csv, and the whole ``workbook register status --year 2020`` command in a fresh process.

Run by hand; not part of the test suite. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import machine, print_table

from workbook.register import Register
from workbook.register.agencies import import_agencies
from workbook.register.collect import _record
from workbook.register.status import status, write_status
from workbook.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "fjordvik"
YEAR = 2020


def build(folder: Path, n: int, seed: int) -> tuple[Path, int, float]:
    """The register of the benchmark: its path, the number of submissions, the seconds it took."""
    db = folder / "register.sqlite"
    if db.exists():
        with Register.open(db) as reg:
            return db, reg.query("SELECT count(*) FROM submissions")[0][0], 0.0
    rng = random.Random(seed)
    start = time.perf_counter()
    names = [f"Bench kommune, Etat {i:04d}" for i in range(n)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["navn", "rolle", "e-post"])
    writer.writerow(["Bench kommune", "medlem", "post@bench.no"])
    writer.writerows([name, "virksomhet", f"etat{i}@bench.no"] for i, name in enumerate(names))
    (folder / "liste.csv").write_bytes(buffer.getvalue().encode("utf-8-sig"))
    valid = validate_file(SAMPLES / "agency-bymiljoetaten.xlsx", keep_document=True)
    invalid = validate_file(SAMPLES / "agency-teknisk-med-feil.xlsx", keep_document=True)
    first = dt.datetime(2021, 1, 10, tzinfo=dt.timezone.utc)
    with Register.open(db) as reg:
        import_agencies(reg, folder / "liste.csv", YEAR)
        senders = [*names[: int(n * 0.85)], *(f"Ukjent etat {i}" for i in range(int(n * 0.05)))]
        count = 0
        for name in senders:
            for version in range(rng.choice((1, 2, 2, 3, 3, 4, 5))):
                result = invalid if rng.random() < 0.2 else valid
                result = dataclasses.replace(result, metadata={**result.metadata, "agency": name})
                data = f"{name} {version} {seed}".encode()
                sha256, size = reg.store.put(io.BytesIO(data))
                received = (first + dt.timedelta(minutes=count)).isoformat(timespec="microseconds")
                _record(reg, f"{name}.xlsx", sha256, size, received, f"etat@{count}.no", YEAR, result)
                count += 1
    return db, count, time.perf_counter() - start


def best(function, repeat: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.gettempdir()) / f"workbook-bench-status-n{args.n}-s{args.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    db, submissions, built = build(folder, args.n, args.seed)
    with Register.open(db) as reg:
        result = status(reg, YEAR)
        counts = result.counts()
        rows = [["status()", f"{best(lambda: status(reg, YEAR)) * 1000:.0f} ms"],
                ["status() + write .xlsx", f"{best(lambda: write_status(status(reg, YEAR), folder / 's.xlsx')):.2f} s"],
                ["status() + write .csv", f"{best(lambda: write_status(status(reg, YEAR), folder / 's.csv')):.2f} s"]]
    command = [sys.executable, "-m", "workbook", "register", "status", "--year", str(YEAR), "--db", str(db)]
    whole = best(lambda: subprocess.run(command, check=True, capture_output=True))
    rows.append(["workbook register status (new process)", f"{whole:.2f} s"])
    print_table(["what", "value"], [[k, v] for k, v in machine()])
    print()
    print(f"{counts['expected']} agencies on the list, {submissions} submissions ({counts['valid']} valid,"
          f" {counts['invalid']} invalid, {counts['missing']} missing, {counts['unknown']} unknown agencies)"
          + (f"; built in {built:.1f} s" if built else "; register reused"))
    print_table(["step (best of 3)", "time"], rows)


if __name__ == "__main__":
    main()
