"""Run one task per file in worker processes, so that no file can take the others down.

A file that makes its worker die (an abort in a native library, out of memory, killed) or take
longer than the time bound costs only that file: its task gets an outcome of its own from
``on_lost`` (a ``file-crashed`` or ``file-timeout`` problem), the worker is replaced and the
batch goes on. ``concurrent.futures`` and ``multiprocessing.Pool`` cannot do this: one dead worker
breaks the whole pool (``BrokenProcessPool``) or hangs it, so this small dispatcher is written by
hand on ``multiprocessing``'s processes, pipes and ``connection.wait``.

Tasks are given to workers one or two at a time (the second waits in the pipe, so a worker never
idles between tasks); a worker answers them in order, so when it dies the first unanswered task
is the one that killed it, and the ones behind it are given to another worker.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from workbook.errors import WorkerStartError

#: A file that takes longer than this (seconds) is stopped and reported. Generous: a normal form
#: takes milliseconds, the largest consolidated workbooks about a second.
DEFAULT_TIMEOUT = 120.0
#: Address space a worker may use (POSIX), so a file that makes a library ask for absurd amounts of
#: memory fails in its worker at once instead of pushing the machine into swap.
WORKER_ADDRESS_SPACE = 4 * 1024**3
#: How long a new worker may take to start (seconds).
START_TIMEOUT = 120.0
#: Tasks waiting in a worker's pipe besides the one it works on.
QUEUED_PER_WORKER = 1

CRASHED = "crashed"
TIMED_OUT = "timeout"


def worker_count(jobs: int | None, items: int) -> int:
    """How many workers ``items`` tasks get: ``jobs``, by default one per core, never more than the
    tasks, at least one."""
    return max(1, min(jobs or os.cpu_count() or 1, items))


def _context() -> Any:
    """forkserver where there is one (no fork of a parent that runs threads, cheap new workers);
    spawn elsewhere (Windows, and macOS where fork is unsafe)."""
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["workbook.validate"])
        return context
    return multiprocessing.get_context("spawn")


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = WORKER_ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(WORKER_ADDRESS_SPACE, hard)
        if soft == resource.RLIM_INFINITY or soft > wanted:
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):  # not allowed here: the worker still isolates, only without a cap
        pass


_READY = "ready"


def _worker(connection: Connection, task: Callable[[Any], Any]) -> None:
    _limit_memory()
    connection.send(_READY)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        connection.send((index, task(item)))


@dataclass
class _Worker:
    process: Any
    connection: Connection
    #: (index, item) given to it and not yet answered, in the order given
    pending: deque[tuple[int, Any]] = field(default_factory=deque)
    #: when the task at the head of ``pending`` started (the previous answer, or when it was given)
    started: float = 0.0


def run_isolated(task: Callable[[Any], Any], items: Iterable[Any], *, jobs: int = 1,
                 timeout: float = DEFAULT_TIMEOUT,
                 on_lost: Callable[[Any, str], Any],
                 idle: Callable[[], float | None] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, task(item))`` for every item as the answers arrive, on ``jobs`` processes.

    ``task`` must be a module-level function (it is sent to the workers). For an item whose worker
    died, or that ran past ``timeout`` seconds, ``on_lost(item, CRASHED | TIMED_OUT)`` is yielded
    instead. The items are taken lazily, a few ahead of the workers. ``idle`` is called each time
    before waiting for answers (the caller may do its own work then, while the workers work); it
    gives the seconds after which it wants to be called again if no answer has come, or None."""
    context = _context()
    source = enumerate(items)
    waiting: deque[tuple[int, Any]] = deque()  # given back by a dead worker: they go first
    workers: list[_Worker] = []

    def start() -> _Worker:
        parent, child = context.Pipe(duplex=True)
        process = context.Process(target=_worker, args=(child, task), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        try:  # a worker that cannot start is no file's fault: stop, rather than blame the files
            ready = bool(wait([parent, process.sentinel], timeout=START_TIMEOUT)) and parent.poll() and \
                parent.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.join(timeout=1)
            code = process.exitcode  # read before _stop closes the process object
            _stop(worker)
            raise WorkerStartError(code)
        return worker

    def next_item() -> tuple[int, Any] | None:
        if waiting:
            return waiting.popleft()
        return next(source, None)

    def feed(worker: _Worker) -> None:
        while len(worker.pending) <= QUEUED_PER_WORKER:
            item = next_item()
            if item is None:
                return
            if not worker.pending:
                worker.started = time.monotonic()
            worker.pending.append(item)
            try:
                worker.connection.send(item)
            except OSError:  # it has died: its sentinel says so on the next wait
                return

    def lose(worker: _Worker, why: str) -> tuple[int, Any]:
        """The worker's first task cost it its life: that task is lost, the others go back."""
        index, item = worker.pending.popleft()
        waiting.extendleft(reversed(worker.pending))
        worker.pending.clear()
        _stop(worker)
        workers.remove(worker)
        return index, on_lost(item, why)

    try:
        for _ in range(max(1, jobs)):
            worker = start()
            workers.append(worker)
            feed(worker)
        while True:
            busy = [w for w in workers if w.pending]
            if not busy:
                if waiting:  # a dead worker left tasks behind and every live worker is idle
                    worker = start()
                    workers.append(worker)
                    feed(worker)
                    continue
                return
            handles = [w.connection for w in busy] + [w.process.sentinel for w in busy]
            while True:
                again = idle() if idle else None
                left = _time_left(busy, timeout)
                if again is not None and again < left:
                    ready = wait(handles, timeout=max(0.0, again))
                    if ready:
                        break
                    continue  # idle is due again
                ready = wait(handles, timeout=left)
                break
            now = time.monotonic()
            for worker in busy:
                if worker.connection in ready or worker.process.sentinel in ready:
                    answered = _answers(worker)
                    for index, result in answered:
                        worker.pending.popleft()
                        worker.started = now
                        yield index, result
                    if not answered and not worker.process.is_alive():
                        yield lose(worker, CRASHED)
                        replacement = start()
                        workers.append(replacement)
                        feed(replacement)
                        continue
                    feed(worker)
                elif worker.pending and now - worker.started > timeout:
                    yield lose(worker, TIMED_OUT)
                    replacement = start()
                    workers.append(replacement)
                    feed(replacement)
    finally:
        for worker in workers:
            _stop(worker, politely=True)


def _answers(worker: _Worker) -> list[tuple[int, Any]]:
    """Every answer waiting in the worker's pipe (none if it died before answering)."""
    answers = []
    try:
        while worker.pending and worker.connection.poll():
            answers.append(worker.connection.recv())
    except (EOFError, OSError):
        pass
    return answers


def _time_left(busy: list[_Worker], timeout: float) -> float:
    oldest = min(w.started for w in busy)
    return max(0.01, oldest + timeout - time.monotonic())


def _stop(worker: _Worker, politely: bool = False) -> None:
    if politely and worker.process.is_alive():
        try:
            worker.connection.send(None)
        except OSError:
            pass
        worker.process.join(timeout=1)
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join(timeout=5)
    worker.connection.close()
    if hasattr(worker.process, "close"):
        try:
            worker.process.close()
        except ValueError:
            pass


__all__ = ["run_isolated", "WorkerStartError", "CRASHED", "TIMED_OUT", "DEFAULT_TIMEOUT"]
