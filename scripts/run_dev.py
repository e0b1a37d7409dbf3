"""`make run`'s last step: the development server and the scheduler, stopped
together however this is stopped: Ctrl-C, a SIGTERM from a process manager,
a closed terminal (SIGHUP), or the death of `make` itself.

Each child asks the kernel for SIGTERM when this process dies
(PR_SET_PDEATHSIG), and this process asks for it when its parent (make) dies,
so nothing is left running even after a SIGKILL of make.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 10


def die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, preexec_fn=die_with_parent)  # noqa: S603, PLW1509


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flask", required=True, help="the flask executable of the venv")
    parser.add_argument("--port", default="5000")
    args = parser.parse_args()
    die_with_parent()
    if os.getppid() == 1:  # make already died before we could ask
        return 1

    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    flask = [args.flask, "--app", "booking"]
    children = [
        start([*flask, "scheduler"]),
        start([*flask, "run", "--host", "127.0.0.1", "--port", args.port]),
    ]
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        stop(children)
    exited = [child.returncode for child in children if child.returncode not in (None, 0)]
    return 0 if stopping or not exited else exited[0]


if __name__ == "__main__":
    sys.exit(main())
