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
4. The central unit's year with the register (out/register/): the Fjordvik agency list imported,
   a deadline set, each agency's workbook generated, what comes back collected (Teknisk etat's is
   invalid, Skoleetaten's is sent twice, Vann- og avløpsetaten never answers), the status, the
   feedback to send, Teknisk etat's corrected workbook collected, the consolidation and the report
   from the register, the archive package, a check of the register, and next year's workbooks
   prefilled from this year's.
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
    register_year(out / "register", pdf)
    print(f"\nDone. See {out}/")


def register_year(folder: Path, pdf: list[str]) -> None:
    """The register story of the README ("The central unit's year"), in a fresh register."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = ["--db", str(folder / "register.sqlite")]
    samples = "samples/fjordvik"
    run("register", "agencies", "import", "samples/register/agencies.csv", "--year", "2020", *db)
    run("register", "deadline", "--year", "2020", "2021-02-15", *db)
    run("generate", "--year", "2020", "--out-dir", str(folder / "utsendt-2020"), *db)
    run("register", "collect", f"{samples}/member.xlsx", f"{samples}/agency-bymiljoetaten.xlsx",
        f"{samples}/agency-helseetaten-2.xlsx", f"{samples}/agency-kulturetaten.xlsx",
        f"{samples}/agency-skoleetaten.xlsx", f"{samples}/agency-teknisk-med-feil.xlsx",
        "--from", "postmottak@fjordvik.kommune.no", *db)
    run("register", "collect", f"{samples}/agency-helseetaten.xlsx", f"{samples}/agency-skoleetaten.xlsx",
        "--from", "postmottak@fjordvik.kommune.no", *db)
    run("register", "status", "--year", "2020", "-o", str(folder / "status-2020.xlsx"), *db)
    run("register", "feedback", "--year", "2020", "-o", str(folder / "tilbakemelding-2020"), *db)
    run("register", "collect", "samples/register/agency-teknisk-rettet.xlsx",
        "--from", "per.arne.dahl@teknisk.fjordvik.kommune.no", *db)
    run("register", "status", "--year", "2020", *db)
    run("register", "history", "Fjordvik kommune, Teknisk etat", "--year", "2020", *db)
    run("consolidate", "--year", "2020", "-o", str(folder / "fjordvik-samlet-2020.xlsx"), *db)
    run("report", str(folder / "fjordvik-samlet-2020.xlsx"), "-o", str(folder / "fjordvik-kommune-2020.docx"), *pdf)
    run("register", "export", "--year", "2020", "-o", str(folder / "arkiv-2020"), *db)
    run("register", "check", *db)
    run("generate", "--year", "2021", "--out-dir", str(folder / "utsendt-2021"), *db)


if __name__ == "__main__":
    main()
