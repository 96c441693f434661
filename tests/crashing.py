"""Tasks for the worker tests: one that aborts its process, one that hangs, one that answers."""

from __future__ import annotations

import os
import time


def task(item: str) -> str:
    if item == "abort":
        os.abort()  # as a native library does on a failed allocation: no exception, the process ends
    if item == "exit":
        os._exit(3)
    if item == "hang":
        time.sleep(600)
    return item.upper()
