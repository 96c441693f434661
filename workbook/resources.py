"""Where the form's rules and the report template are: the one home of that fact.

``rules/`` and ``templates/`` sit at the top of the checkout (where the design puts them); a
built wheel carries them inside the package (``workbook/rules``, ``workbook/templates``, mapped
from the top-level folders by pyproject.toml), so an installed ``workbook`` finds them too.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_folder(name: str) -> Path:
    """The folder ``name`` (``rules`` or ``templates``): inside the installed package, else the
    checkout's top-level one."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name
