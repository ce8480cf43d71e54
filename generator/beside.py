"""Two independent steps of a build on two cores: one in a forked process while the other runs here.

The machines this runs on have two cores, and a rebuild after one approval spends half a second in each
of two steps that need nothing of each other (validate and the publicity rules): `run_beside` runs the
first in a forked child and hands its result back through a pipe. Where there is no fork, or the child
does not hand a result back (it failed, or was killed), the first runs here afterwards: the same results,
and the same exception where it raises one.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def can_fork() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def run_beside(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """`(first(), second())`, `first` in a forked child while `second` runs here. `first`'s result must
    pickle. The child shares nothing back but its result: what `first` changes in memory is lost, so
    it must return whatever of that the caller needs (build._validate_beside)."""
    if not can_fork():
        return first(), second()
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or no process left for it: one after the other
        os.close(read_end)
        os.close(write_end)
        return first(), second()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers or flushes its buffers
        code = 1
        try:
            os.close(read_end)
            data = pickle.dumps(first(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        result = second()
    finally:  # even where `second` raised: the child is waited for, never left behind
        with os.fdopen(read_end, "rb") as source:
            data = source.read()
        try:
            status = os.waitpid(pid, 0)[1]
        except ChildProcessError:  # reaped already (SIGCHLD ignored by whoever started us): its data tells
            status = None
    if status is None or os.waitstatus_to_exitcode(status) == 0:
        try:
            return pickle.loads(data), result  # noqa: S301 - from our own child, through our own pipe
        except Exception:  # noqa: BLE001 - cut short: run it here
            pass
    return first(), result
