"""A child that must not outlive the process that started it (``forking.die_with_parent``)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def assert_dies_with_its_starter(script: str, starter: str = "parent") -> None:
    """Run ``script``: it starts a child, prints the child's pid, and kills itself. The child must
    be gone within five seconds (it is killed here if not, and the test fails)."""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[0])
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"the child outlived its {starter}")
