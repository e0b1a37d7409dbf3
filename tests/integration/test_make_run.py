"""`make run` stops the development server and the scheduler it started,
however it is stopped: a SIGTERM to make alone, or a SIGKILL of make."""

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from booking import create_app
from booking.extensions import db
from booking.models import School
from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (
                (task / "children").read_text().split() if (task / "children").exists() else []
            )
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback)
            return True
    except OSError:
        return False


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A migrated SQLite database with a school in it, so make run loads no demo."""
    path = tmp_path / "instance"
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(path))
    url = f"sqlite:///{tmp_path / 'run.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.add(School(code="RUN1", name="试运行学校", address="路"))
        db.session.commit()
        db.engine.dispose()
    return {"BOOKING_INSTANCE_PATH": str(path), "DATABASE_URL": url}


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_make_run_stops_everything_it_started(instance, how):
    port = free_port()
    env = {**os.environ, **instance, "PORT": str(port), "BOOKING_SCHEDULER": "on"}
    make = subprocess.Popen(  # noqa: S603
        ["make", "--no-print-directory", "run"],  # noqa: S607
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a signal to make alone, not to a process group
    )
    try:
        deadline = time.monotonic() + 120
        while not answers(f"http://127.0.0.1:{port}/healthz"):
            assert make.poll() is None, "make run stopped before serving"
            assert time.monotonic() < deadline, "make run did not serve in 120 s"
            time.sleep(0.5)
        started = descendants(make.pid)
        assert len(started) >= 3  # the supervisor, the server, the scheduler
        make.send_signal(how)
        make.wait(30)
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if alive(pid)], "left running after make stopped"
        assert not answers(f"http://127.0.0.1:{port}/healthz")
    finally:
        for pid in descendants(make.pid) | {make.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
