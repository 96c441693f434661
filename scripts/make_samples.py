"""Rebuild the sample workbooks in samples/ from their JSON (the project's main examples).

    python scripts/make_samples.py

samples/json/oslo-kommune-2020.json → samples/oslo-kommune-2020.xlsx (Oslo kommune's 2020 report);
samples/json/fjordvik/*.json → samples/fjordvik/*.xlsx (a member and its agencies, for consolidation;
agency-teknisk-med-feil has the mistakes agencies make; agency-helseetaten-2 is an older copy);
samples/json/register/*.json → samples/register/*.xlsx (what comes back later in the register story:
the corrected Teknisk etat).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbook.document import load_document  # noqa: E402
from workbook.generate import generate  # noqa: E402

#: Saved-at stamps, so "the newest workbook of an agency counts" has something to go by.
STAMPS = {
    "agency-helseetaten-2": datetime(2021, 1, 20, 9, 0),
    "agency-teknisk-rettet": datetime(2021, 2, 22, 10, 0),
}
DEFAULT_STAMP = datetime(2021, 2, 15, 12, 0)


def main() -> None:
    sources = ROOT / "samples" / "json"
    for source in sorted(sources.rglob("*.json")):
        target = ROOT / "samples" / source.relative_to(sources).with_suffix(".xlsx")
        target = generate(target, prefill=load_document(source),
                          created=STAMPS.get(source.stem, DEFAULT_STAMP))
        print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()
