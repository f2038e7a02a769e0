"""A subprocess continues the run: TRACEPARENT/BAGGAGE in its environment.

Run it: ``python examples/propagation_subprocess.py`` (it starts itself again as the child).
"""

from __future__ import annotations

import os
import subprocess
import sys

import agentlog
from agentlog import propagation


def child() -> None:
    agentlog.configure(service="worker")
    with agentlog.run(parent=propagation.extract(os.environ), task="transcode"):
        agentlog.get_logger("worker").info("child process working", pid=os.getpid())


def parent() -> None:
    agentlog.configure(service="agent")
    with agentlog.run(task="delegate to a worker process"), agentlog.step("delegate"):
        subprocess.run([sys.executable, __file__, "--child"], env=propagation.subprocess_env(), check=True)


if __name__ == "__main__":
    child() if "--child" in sys.argv else parent()
