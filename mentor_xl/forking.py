"""This process forked into a child that never returns into the caller's code: the way
``workbook.aside`` starts the child that loads a big 活动记录; and what it needs around that child
(dying with the parent, waiting on a descriptor).

Ctrl-C and the like are held across the fork: a signal between the fork and the child's own
set-up must not run this program twice; each side lets them through once it is ready for them
(the child by restoring the ``mask`` it is given).
"""
from __future__ import annotations

import os
import signal
import sys
import warnings
from typing import Callable

FORK = sys.platform.startswith("linux") and hasattr(os, "fork")
HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}


def fork(child: Callable[[object], object]) -> int | None:
    """The child's pid, or None when no fork can be made here. In the child ``child(mask)`` runs
    (``mask``: the caller's signal mask, to restore once it is ready for signals), and the
    child ends when it does, whatever happens: it should leave through ``os._exit`` itself."""
    try:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    except (OSError, ValueError, AttributeError):
        return None
    try:
        with warnings.catch_warnings():  # Python 3.12+ warns of a fork with threads: the child
            warnings.simplefilter("ignore", DeprecationWarning)  # runs no other thread's code
            pid = os.fork()
        if pid == 0:
            try:
                child(mask)
            finally:
                os._exit(1)  # never back into the caller's code
        return pid
    except OSError:
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def die_with_parent() -> None:
    """Linux: this child is killed when its parent dies (a child in a session of its own is out of
    reach of the terminal's Ctrl-C). Check ``os.getppid()`` after: the parent may be gone already."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the child's own limits end it


def readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` (a child's pipe, its pidfd) is readable within ``timeout`` seconds. Not
    select(): a descriptor may be numbered 1024 and more."""
    import select

    waiter = select.poll()
    waiter.register(fd, select.POLLIN)
    return bool(waiter.poll(max(0, int(timeout * 1000))))
