"""A throwaway PostgreSQL server on a temporary directory, for the tests and benchmarks.

Started with the machine's initdb/pg_ctl; as root, it runs as the `postgres`
system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates = [os.environ.get("PG_BINDIR", "")]
    if shutil.which("pg_config"):
        result = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(result.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("pg_ctl"):
        candidates.append(str(Path(shutil.which("pg_ctl")).resolve().parent))  # type: ignore[arg-type]
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "pg_ctl").exists()
            and (Path(candidate) / "initdb").exists()
        ):
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL's initdb and pg_ctl were not found "
        "(apt-get install postgresql, or set PG_BINDIR)."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self, fast: bool = True) -> None:
        self.bindir = find_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="campus-share-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.fast = fast
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()} {tail}"
            )

    def start(self) -> PostgresServer:
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.resume()
        return self

    def options(self) -> list[str]:
        options = [
            f"-p {self.port}",
            f"-k {self.base}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=300",
            "-c shared_buffers=256MB",
        ]
        if self.fast:  # a throwaway database need not survive a power cut
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return options

    def resume(self) -> None:
        """Start the server on its data directory (again, after halt)."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-o",
            " ".join(self.options()),
            "-w",
            "-t",
            "60",
            "start",
        )

    def halt(self) -> None:
        """Stop the server as an outage would (connections cut), keeping its data."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # not already halted
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
