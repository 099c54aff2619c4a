"""A computation run beside the caller's own work, in a forked child, its result handed back pickled.

The results workbook's small pages (总览, 图表) need a dozen group-bys over the results that take
as long as writing the big sheets; computed in a child, they cost the caller nothing. Only on
Linux, where a fork starts in milliseconds with everything already in memory; elsewhere, and
whenever the child fails in any way (it crashed, was killed, was reaped by someone else, its
answer is cut short), ``result()`` computes it here: the child only ever saves time, and the
answer is the same either way (a pickle round trip of frames and plain objects).

The child never returns into the caller's code and dies with the caller (Linux): Ctrl-C and
the like are held across the fork and then end the child (the caller's Python handlers never run
there), the objects it inherited are never collected there (no finaliser of the caller's runs
twice), and it leaves through ``os._exit`` without flushing or closing anything it inherited.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import tempfile
import time
from typing import Callable, Generic, TypeVar

from mentor_xl.forking import FORK, HELD, die_with_parent, fork, readable

T = TypeVar("T")
MIN_WAIT_S = 60  # the least a child is waited for once its answer is asked for


class Beside(Generic[T]):
    """``fn()`` computing in a forked child; ``result()`` waits for it (or computes it here)."""

    def __init__(self, fn: Callable[[], T]):
        self.fn, self.pid, self.file = fn, None, None
        self.started = time.monotonic()
        if not FORK:
            return
        try:
            self.file = tempfile.TemporaryFile()
        except OSError:
            return
        fd, parent = self.file.fileno(), os.getpid()
        self.pid = fork(lambda mask: _child(fn, fd, mask, parent))
        if self.pid is None:
            self._close()

    def result(self) -> T:
        """The child's answer, or ``fn()`` computed here when there is none. The child is waited
        for as long again as it has had (a minute at least): a fork in a process with threads
        may leave it stuck on a lock for ever."""
        pid, self.pid = self.pid, None
        if pid is not None:
            gone = False
            try:
                status = _wait(pid, max(MIN_WAIT_S, time.monotonic() - self.started))
                gone = status is not None
                if gone and os.waitstatus_to_exitcode(status) == 0:
                    self.file.seek(0)
                    return pickle.load(self.file)
            except ChildProcessError:  # reaped by someone else: nothing to kill, compute it here
                gone = True
            except Exception:  # noqa: BLE001 — a truncated answer: compute it here
                pass
            finally:
                if not gone:  # over its time, or the caller interrupted: killed and reaped
                    _end(pid)
                self._close()
        return self.fn()

    def cancel(self) -> None:
        """Stop the child if it still runs (its answer no longer wanted: the caller failed on the
        way) and close its file; never raises. Nothing to do after ``result()``."""
        pid, self.pid = self.pid, None
        if pid is not None:
            _end(pid)
        self._close()

    def _close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _wait(pid: int, timeout: float) -> int | None:
    """The child's wait status once it has ended, or None when it still runs after ``timeout``
    seconds (woken at once by a pidfd where Linux has one). ChildProcessError: reaped elsewhere."""
    end = time.monotonic() + timeout
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    try:
        while True:
            got, status = os.waitpid(pid, os.WNOHANG)
            if got:
                return status
            left = end - time.monotonic()
            if left <= 0:
                return None
            if fd is not None:
                readable(fd, max(left, 0.001))
            else:
                time.sleep(min(0.02, left))
    finally:
        if fd is not None:
            os.close(fd)


def _end(pid: int) -> None:
    """Kill and reap the child (it may have ended already, or been reaped by someone else)."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:  # ProcessLookupError, ChildProcessError: gone already
        pass


def _child(fn: Callable, fd: int, mask, parent: int) -> None:
    code = 1
    try:
        die_with_parent()  # a killed caller leaves no child computing on
        if os.getppid() != parent:
            return  # gone already
        gc.freeze()  # the caller's garbage is not finalised here (a buffered file flushed twice)
        for signum in HELD:  # nor are the caller's signal handlers run here: a signal ends the child
            signal.signal(signum, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)  # whatever it might print is the caller's to print
        os.dup2(null, 1)
        os.dup2(null, 2)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        code = 0
    finally:
        os._exit(code)
