"""`pip install .` gives a working `workbook`: the wheel carries the form's rules and the report
template, and the installed command runs generate, validate and report from any folder.

The wheel is built from a copy of the source tree without build isolation (no download) and
installed into a fresh virtual environment without its dependencies, which are borrowed from the
running environment by a ``.pth`` line (offline, and a few seconds instead of a minute). The
borrowed folder may hold a ``workbook`` too (the editable install): the test proves the fresh
environment's own copy is the one that runs. ``-m "not install"`` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("workbook", "rules", "templates", "pyproject.toml", "README.md")
TIMEOUT = 120

pytestmark = pytest.mark.install


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=TIMEOUT)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("source")
    for name in SOURCES:  # a copy, so the build leaves nothing behind in the checkout
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, tree / name)
    dist = tmp_path_factory.mktemp("dist")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                  "-q", "-w", str(dist), str(tree)], cwd=dist)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = dist.glob("workbook-*.whl")
    return path


def test_the_wheel_carries_every_package_the_rules_and_the_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "workbook/rules/ehn-offentlig/2020.1/form.yaml" in names
    assert "workbook/rules/ehn-offentlig/2020.1/schema.yaml" in names
    assert "workbook/rules/metadata.yaml" in names  # the metadata keys of every form, outside any form's folder
    assert "workbook/templates/report.docx" in names
    assert "workbook/templates/report-nn.docx" in names  # every language's template
    assert "workbook/locale/nb/cli.yaml" in names
    assert {f"workbook/locale/nn/{p.name}" for p in (ROOT / "workbook" / "locale" / "nb").glob("*.yaml")} <= names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "workbook").rglob("*.py")}
    assert modules <= names, f"not in the wheel (add the package to pyproject.toml): {sorted(modules - names)}"
    rules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "rules").rglob("*.yaml")}
    assert {f"workbook/{r}" for r in rules} <= names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``workbook`` command of a fresh virtual environment holding the wheel."""
    home = tmp_path_factory.mktemp("venv") / "fresh"
    venv.create(home, with_pip=False)
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                 str(wheel)], cwd=home)
    assert done.returncode == 0, done.stdout + done.stderr
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=home).stdout.strip())
    borrowed = {Path(sysconfig.get_paths()["purelib"]), Path(openpyxl.__file__).parent.parent}
    (purelib / "_borrowed_dependencies.pth").write_text("\n".join(map(str, borrowed)) + "\n", encoding="utf-8")
    command = home / ("Scripts/workbook.exe" if os.name == "nt" else "bin/workbook")
    assert command.exists()
    return command


def test_the_installed_command_generates_validates_and_reports_from_another_folder(installed: Path,
                                                                                   tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WORKBOOK_RULES")}
    env["PYTHONIOENCODING"] = "utf-8"
    python = installed.parent / installed.name.replace("workbook", "python")
    where = _run([str(python), "-c", "import workbook.form as f, workbook.report as r; "
                  "print(f.__file__); print(f.RULES_DIR); print(r.DEFAULT_TEMPLATE)"], cwd=tmp_path, env=env)
    module, rules, template = where.stdout.split("\n")[:3]
    home = installed.parent.parent
    assert all(Path(p).resolve().is_relative_to(home.resolve()) for p in (module, rules, template)), where.stdout
    assert not Path(rules).resolve().is_relative_to(ROOT) and Path(rules, "ehn-offentlig", "2020.1").is_dir()

    shutil.copy(ROOT / "samples" / "json" / "oslo-kommune-2020.json", tmp_path / "oslo.json")
    steps = [
        ["generate", "-o", "skjema.xlsx", "--prefill", "oslo.json"],
        ["validate", "skjema.xlsx", "--json"],
        ["report", "skjema.xlsx", "-o", "rapport.docx"],
        ["--version"],
    ]
    results = [_run([str(installed), *args], cwd=tmp_path, env=env) for args in steps]
    for args, result in zip(steps, results):
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)
    assert json.loads(results[1].stdout)["valid"] is True
    with zipfile.ZipFile(tmp_path / "rapport.docx") as docx:
        assert "Oslo kommune" in docx.read("word/document.xml").decode("utf-8")
    assert results[3].stdout.strip() == "workbook 0.1.0"
