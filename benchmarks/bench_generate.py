"""How long `workbook generate` takes for one blank form, as a whole process (start-up included).

    python benchmarks/bench_generate.py [--runs 10]

Prints the median, best and worst wall time of `python -m workbook generate -o <tmp>/form.xlsx`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "form.xlsx"
        for _ in range(args.runs):
            seconds, _ = timed(subprocess.run, [sys.executable, "-m", "workbook", "generate", "-o", str(target)],
                               check=True, capture_output=True)
            times.append(seconds)
    print(f"generate one blank form, whole process, {args.runs} runs: median {statistics.median(times):.3f} s, "
          f"best {min(times):.3f} s, worst {max(times):.3f} s")


if __name__ == "__main__":
    main()
