"""Benchmark: validating N copies of the Oslo sample beside python-calamine reading every sheet's
values of the same files, both on every core, in one run.

    python benchmarks/bench_read.py [--n 3000] [--jobs 2] [--repeat 3]

The figure to watch is the ratio: validation (reading, checking the file's safety, the rules)
against calamine alone (the fastest reader there is for these files). Run by hand; not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from measure import machine, timed

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "samples" / "oslo-kommune-2020.xlsx"


def calamine_values(path: str) -> int:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(path)
    cells = 0
    for name in book.sheet_names:
        cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
    book.close()
    return cells


def _calamine_all(files: list[str], jobs: int) -> None:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(calamine_values, files, chunksize=64))


def run_calamine(files: list[str], jobs: int) -> float:
    return timed(_calamine_all, files, jobs)[0]


def run_validate(files: list[str], jobs: int) -> tuple[float, int]:
    from workbook.validate import validate_paths

    seconds, results = timed(validate_paths, files, jobs=jobs)
    return seconds, sum(r.valid for r in results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="workbook-bench-read-"))
    try:
        files = []
        for i in range(args.n):
            target = folder / f"oslo-{i:05d}.xlsx"
            shutil.copyfile(SAMPLE, target)
            files.append(str(target))
        about = dict(machine())
        print(f"{about['platform']}, {about['cpu']}, {about['cores (os.cpu_count)']} cores, "
              f"Python {about['python']}; {args.n} copies of {SAMPLE.name}, jobs={args.jobs}")
        calamine, ours = [], []
        for _ in range(args.repeat):
            calamine.append(run_calamine(files, args.jobs))
            seconds, valid = run_validate(files, args.jobs)
            ours.append(seconds)
        best_c, best_o = min(calamine), min(ours)
        print(f"python-calamine, every sheet's values: {best_c:.2f} s ({args.n / best_c:.0f} files/s)")
        print(f"workbook validate:                     {best_o:.2f} s ({args.n / best_o:.0f} files/s), "
              f"{valid} valid")
        print(f"ratio: {best_o / best_c:.2f}x (fastest of {args.repeat} runs each)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
