"""The main job on the bundled samples (what `make demo` runs), as a user would type it.

1. Oslo kommune's 2020 report: validate the filled workbook, then write the Word report (and a
   PDF when LibreOffice is installed).
2. Consolidation: validate a member's agency workbooks (one has mistakes: an annotated copy is
   written for it), consolidate the valid ones with the member's own workbook (found in the
   folder by its role), and write the member's report: it names the agencies it covers and those
   left out and why (one with errors, one superseded by a newer copy), marks the figures that are
   the agencies' sum, and has an appendix per agency.
3. Nynorsk, beside the bokmål run: Oslo's answers generated as a nynorsk workbook (`--lang nn`),
   a copy with a deliberate mistake validated (the messages and the annotated copy in nynorsk,
   the workbook's language), and the nynorsk report written.
Outputs go to the folder given (default: out/).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbook.pdf import find_soffice  # noqa: E402


def run(*args: str, ok: tuple[int, ...] = (0,)) -> None:
    print(f"\n$ workbook {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "workbook", *args], cwd=ROOT, check=False)
    if done.returncode not in ok:
        sys.exit(done.returncode)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out"
    out.mkdir(parents=True, exist_ok=True)
    pdf = ["--pdf"] if find_soffice() else []
    if not pdf:
        print("LibreOffice (soffice) is not installed: the reports are written as .docx only.")
    oslo = "samples/oslo-kommune-2020.xlsx"
    run("validate", oslo)
    run("report", oslo, "-o", str(out / "oslo-kommune-2020.docx"), *pdf)

    fjordvik = "samples/fjordvik"
    run("validate", fjordvik, "--annotate", str(out / "tilbakemelding"), ok=(0, 1))
    run("consolidate", fjordvik, "-o", str(out / "fjordvik-samlet.xlsx"))
    run("report", str(out / "fjordvik-samlet.xlsx"), "-o", str(out / "fjordvik-kommune-2020.docx"), *pdf)

    nynorsk = out / "nynorsk"
    nynorsk.mkdir(exist_ok=True)
    answers = ROOT / "samples" / "json" / "oslo-kommune-2020.json"
    workbook_nn = nynorsk / "oslo-kommune-2020-nn.xlsx"
    run("generate", "--prefill", str(answers), "--lang", "nn", "-o", str(workbook_nn))
    wrong = json.loads(answers.read_text(encoding="utf-8"))
    wrong["data"]["employees"] = "mange"  # the deliberate mistake: a word where a number belongs
    wrong_json = nynorsk / "oslo-med-feil.json"
    wrong_json.write_text(json.dumps(wrong, ensure_ascii=False, indent=2), encoding="utf-8")
    run("generate", "--prefill", str(wrong_json), "--lang", "nn", "-o", str(nynorsk / "oslo-med-feil-nn.xlsx"))
    run("validate", str(nynorsk / "oslo-med-feil-nn.xlsx"), "--annotate", str(nynorsk / "tilbakemelding"), ok=(1,))
    run("report", str(workbook_nn), "-o", str(nynorsk / "oslo-kommune-2020-nn.docx"), "--lang", "nn", *pdf)
    print(f"\nDone. See {out}/")


if __name__ == "__main__":
    main()
