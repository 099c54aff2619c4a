"""This process forked into a child that never returns into the caller's code: the one way
``beside`` (the results' small pages) and ``workbook.aside`` (a big 活动记录) start theirs.

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
