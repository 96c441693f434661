"""The submission register: who is expected to report, every workbook that came back, and what was
found in it, in one SQLite file with a store of the files themselves beside it.

``Register.open(path)`` opens it; :mod:`~workbook.register.collect` records workbooks. The CLI's
``workbook register …`` commands are each one call into this package.
"""

from workbook.register.core import Register
from workbook.register.db import RegisterError

__all__ = ["Register", "RegisterError"]
