"""The register's store: every file it was given, kept under its SHA-256, never overwritten or deleted.

Files are named ``<store>/<first two hex digits>/<64 hex digits>`` and written atomically: streamed into
``<store>/tmp/`` while hashed, linked (or renamed) into place, and synced to the disk (the file, its
folder, the store; on Linux a group of files by one sync of the file system) before anything records it. A file already in place under its hash is kept as it
is if its bytes still hash right (one that a power cut left empty, or that was damaged, is replaced
by the right bytes, which loses nothing). A collect killed between writing a file and recording it leaves
a file with no record: :mod:`workbook.register.check` lists it, and the next collect of the same bytes
adopts it.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
#: threads syncing files where the file system cannot be synced at once (see :meth:`Store.sync_many`)
SYNC_THREADS = 8
_HEX = re.compile(r"[0-9a-f]{64}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Store:
    """The folder of stored files (see the module's text)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: the store's folders whose own names this object has made durable (see :meth:`sync`)
        self._named: set[str] = set()

    def path(self, sha256: str) -> Path:
        if not _HEX.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.folder / sha256[:2] / sha256

    def _where(self, sha256: str) -> tuple[str, str]:
        """The folder and the file of a hash this object made (no check, no pathlib: see :meth:`put`)."""
        folder = os.path.join(self.folder, sha256[:2])
        return folder, os.path.join(folder, sha256)

    def put(self, source: BinaryIO, *, durable: bool = True) -> tuple[str, int]:
        """Copy the open file ``source`` into the store; its SHA-256 and size. Raises OSError (disk
        full, read-only). With ``durable=False`` the file is in place but perhaps not yet on the
        disk itself: :meth:`sync` it before anything records it (collect syncs a group of files at
        once: :meth:`sync_many`)."""
        # Paths as strings: collect copies every file here, and pathlib's objects cost more than the copy.
        tmp_folder = os.path.join(self.folder, "tmp")
        try:
            handle, tmp = tempfile.mkstemp(dir=tmp_folder, prefix="inn-")
        except FileNotFoundError:  # a new store (or its tmp folder removed): made once, not at every file
            os.makedirs(tmp_folder, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=tmp_folder, prefix="inn-")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            sha256 = digest.hexdigest()
            target = self._where(sha256)[1]
            if not _place(tmp, target) and not self.verify(sha256):
                # The name is there but its bytes are not (damaged on disk, or altered): these are
                # the very bytes the name stands for, so putting them in place loses nothing.
                os.replace(tmp, target)
            if durable:  # also a file already there: a killed collect may have left it unsynced
                self.sync(sha256)
            return sha256, size
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass

    def sync(self, sha256: str) -> None:
        """Make the stored file ``sha256``, its name and its folder's name durable (after
        ``put(..., durable=False)``). Safe to call from several threads at once: file systems
        with a journal then commit many files' syncs together, far cheaper than one by one.
        The store's own folder is synced once a folder for this object, not at every file: a
        folder's name, once durable, stays so (it is never removed)."""
        if not _HEX.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        folder, target = self._where(sha256)
        _sync_file(target)
        _sync_folder(folder)
        if sha256[:2] not in self._named:
            _sync_folder(self.folder)
            self._named.add(sha256[:2])  # only once synced: another thread may sync it again, harmlessly

    def sync_many(self, hashes: Collection[str]) -> None:
        """Make the stored files ``hashes`` (placed with ``put(..., durable=False)``), their names
        and their folders' names durable. On Linux in one call for the whole file system the store
        is on (syncfs); elsewhere each file is synced (:meth:`sync`), in threads: they wait on the
        disk, not the processor, and a journalling file system commits many syncs at once."""
        if not hashes or _sync_file_system(self.folder):
            return
        with ThreadPoolExecutor(max_workers=min(SYNC_THREADS, len(hashes))) as threads:
            list(threads.map(self.sync, hashes))

    def verify(self, sha256: str) -> bool | None:
        """True when the stored file hashes to its name, False when it does not, None when it is missing."""
        target = self.path(sha256)
        if not target.is_file():
            return None
        return file_sha256(target) == sha256

    def names(self) -> set[str]:
        """The hashes of every file in the store."""
        if not self.folder.is_dir():
            return set()
        return {p.name for p in self.folder.glob("??/*") if _HEX.fullmatch(p.name) and p.parent.name == p.name[:2]}


def _place(tmp: str, target: str) -> bool:
    """Put ``tmp`` at ``target`` without ever replacing a file there: a hard link fails when the name is
    taken (the same bytes were placed before, perhaps by another collect at once). Where the file system
    has no hard links, a rename, which is atomic too. False when a file of that name was there."""
    try:
        try:
            os.link(tmp, target)
        except FileNotFoundError:  # the first file of its folder
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.link(tmp, target)
    except FileExistsError:
        return False
    except OSError:
        if os.path.exists(target):
            return False
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(tmp, target)
    return True


@functools.lru_cache(maxsize=1)
def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2), from the C library: Python's os module has no call for it (os.sync syncs
    every file system on the machine). None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    except OSError:
        return None


def _sync_file_system(folder: Path) -> bool:
    """Make everything written to the file system that holds ``folder`` durable, in one call (a
    collect's group of files: one call instead of two syncs a file, a third of the processor time,
    measured). False where this cannot be done so (not Linux): sync each file then. Raises OSError
    (a disk that failed to take what was written)."""
    syncfs = _syncfs()
    if syncfs is None or _NO_SYNCFS:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            if code in _SYNCFS_REFUSED:  # a sandbox (seccomp) or an old kernel without it: each file then
                _NO_SYNCFS.append(code)
                return False
            raise OSError(code, os.strerror(code))
    finally:
        os.close(fd)
    return True


#: what syncfs answers where it is not allowed or not there (not a failure of the disk)
_SYNCFS_REFUSED = {errno.ENOSYS, errno.EPERM, errno.EACCES, errno.EINVAL, errno.EOPNOTSUPP}
#: set once syncfs was refused in this process
_NO_SYNCFS: list[int] = []


def _sync_file(path: Path | str) -> None:
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)  # Windows flushes only writable handles
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path | str) -> None:
    """Make the new name durable (POSIX); Windows has no folder handles to sync, and needs none."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
