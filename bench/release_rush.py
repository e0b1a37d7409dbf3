"""Benchmark: the 08:00 release rush, through the JSON API, on PostgreSQL and SQLite.

For each engine: gunicorn with 4 workers; 1,000 residents holding API tokens;
50 slots released at the same instant; every resident books one at once,
from 16 client connections. Beside it, in the same run and served the same
way: a trivial JSON endpoint (/health, the stack's ceiling), the
availability read (a week of a facility's slots), and a sequential mode (one
client books one slot after another: the latency of a booking alone). On
PostgreSQL it also counts the round trips of one booking (from the server's
statement log) and profiles a worker's bookings (cProfile, in process).

    .venv/bin/python bench/release_rush.py [--engine postgresql sqlite]
        [--residents 1000] [--slots 50] [--places 10] [--sequential 300]
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import (  # noqa: E402
    PLACE_HOLDING_STATUSES,
    Booking,
    BookingPolicy,
    Facility,
    FacilityKind,
    Role,
    School,
    Slot,
    User,
)
from booking.services.clock import local_date, utcnow, zone  # noqa: E402
from booking.web.api.auth import issue_token  # noqa: E402
from tests.pg_server import PostgresServer, free_port  # noqa: E402

CONCURRENCY = 16
READ_CLIENTS = 16
READ_SECONDS = 8.0
TRIVIAL_SECONDS = 8.0
WORKERS = 4
PROFILED_BOOKINGS = 200
COUNTED_BOOKINGS = 20


def prepare(url: str, args: argparse.Namespace, release_in: float) -> dict[str, Any]:
    """The rush's slots (released in `release_in` seconds), open slots for the
    sequential, counted and profiled bookings, residents with tokens."""
    os.environ["BOOKING_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="rush-instance-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    extra = args.sequential + COUNTED_BOOKINGS + PROFILED_BOOKINGS
    with app.app_context():
        db.create_all()
        db.session.add(
            BookingPolicy(is_district_default=True, max_active_bookings=10, max_weekly_per_kind=10)
        )
        school = School(code="RUSH", name="抢约学校", timezone="Asia/Shanghai")
        facilities = [
            Facility(
                school=school,
                kind=FacilityKind.READING_ROOM,
                name=f"阅览室{n}",
                capacity=args.places,
            )
            for n in range(args.slots)
        ]
        db.session.add_all(facilities)
        db.session.flush()
        now = utcnow().replace(microsecond=0)
        release = now + timedelta(seconds=release_in)

        def slot(facility: Facility, days: float, opens: Any, capacity: int) -> Slot:
            start = now + timedelta(days=days)
            return Slot(
                facility_id=facility.id,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                opens_at=opens,
                capacity=capacity,
            )

        rush_slots = [slot(f, 7, release, args.places) for f in facilities]
        # already open, one place each: a booking that is never refused for room
        open_slots = [
            slot(facilities[n % args.slots], 8 + n // args.slots / 100, now, 1)
            for n in range(extra)
        ]
        week = [slot(f, day, now, args.places) for f in facilities[:5] for day in range(1, 7)]
        db.session.add_all(rush_slots + open_slots + week)
        users = [
            User(role=Role.RESIDENT, phone=f"137{n:08d}", real_name="居民", password_hash="!")  # noqa: S106 (token users)
            for n in range(max(args.residents, extra))
        ]
        db.session.add_all(users)
        db.session.flush()
        tokens = [issue_token(db.session, user, now=now)[0] for user in users]
        db.session.commit()
        tz = zone("Asia/Shanghai")
        data = {
            "tokens": tokens,
            "slots": [s.id for s in rush_slots],
            "open_slots": [s.id for s in open_slots],
            "release": release,
            "facility": facilities[0].id,
            "week": (
                local_date(now, tz).isoformat(),
                (local_date(now, tz) + timedelta(days=6)).isoformat(),
            ),
            "app": app,
        }
        db.engine.dispose()
    return data


def start_gunicorn(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOOKING_ENV": "production",
        "SECRET_KEY": "rush-" + "x" * 40,
        "DATABASE_URL": url,
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "ALLOW_CONSOLE_SMS": "1",
        "RATELIMIT_ENABLED": "0",
        "SESSION_COOKIE_SECURE": "0",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "booking:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    token: str | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any, float]:
    headers = {"Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    return response.status, json.loads(data or b"null"), elapsed


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:.0f} ms"


def fixed_duration(
    port: int, path: str, clients: int, seconds: float
) -> tuple[float, list[float], int]:
    """Closed loop: `clients` connections request `path` for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop_at:
            status, _, elapsed = request(connection, "GET", path)
            if status != 200:
                with lock:
                    errors[0] += 1
            mine.append(elapsed)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies, errors[0]


def rush(port: int, data: dict[str, Any], residents: int) -> dict[str, Any]:
    """Every resident books a random slot of the rush's as soon as they open."""
    tokens = data["tokens"][:residents]
    jobs = list(zip(tokens, [random.choice(data["slots"]) for _ in tokens], strict=True))  # noqa: S311
    lock = threading.Lock()
    accepted: list[float] = []
    refused: list[float] = []
    errors: list[tuple[int, Any]] = []
    codes: dict[str, int] = {}

    def client(share: list[tuple[str, int]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while utcnow() < data["release"]:
            time.sleep(0.001)
        for token, slot_id in share:
            status, body, elapsed = request(
                connection, "POST", "/api/v1/bookings", token, {"slot_id": slot_id}
            )
            with lock:
                if status == 201:
                    accepted.append(elapsed)
                elif status in (409, 400, 403) and isinstance(body, dict) and "error" in body:
                    refused.append(elapsed)
                    codes[body["error"]["code"]] = codes.get(body["error"]["code"], 0) + 1
                else:
                    errors.append((status, body))
        connection.close()

    shares = [jobs[i::CONCURRENCY] for i in range(CONCURRENCY)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    while utcnow() < data["release"]:
        time.sleep(0.001)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    return {
        "accepted": accepted,
        "refused": refused,
        "errors": errors,
        "codes": codes,
        "duration": duration,
    }


def sequential(port: int, jobs: list[tuple[str, int]]) -> tuple[float, list[float], int]:
    """One client books one open slot after another."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    for token, slot_id in jobs:
        status, _, elapsed = request(
            connection, "POST", "/api/v1/bookings", token, {"slot_id": slot_id}
        )
        if status == 201:
            latencies.append(elapsed)
        else:
            errors += 1
    duration = time.perf_counter() - started
    connection.close()
    return len(latencies) / duration, latencies, errors


def over_capacity(data: dict[str, Any]) -> int:
    with data["app"].app_context():
        rows = db.session.execute(
            sa.select(Slot.id, Slot.capacity, sa.func.coalesce(sa.func.sum(Booking.places), 0))
            .outerjoin(
                Booking,
                sa.and_(Booking.slot_id == Slot.id, Booking.status.in_(PLACE_HOLDING_STATUSES)),
            )
            .group_by(Slot.id, Slot.capacity)
        ).all()
        db.engine.dispose()
    return sum(max(0, booked - capacity) for _, capacity, booked in rows)


def count_round_trips(server: PostgresServer, port: int, jobs: list[tuple[str, int]]) -> float:
    """Statements PostgreSQL received per booking (BEGIN and COMMIT included),
    read from its statement log while `jobs` are booked one by one."""
    log = server.base / "server.log"
    with server.admin() as admin:
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    before = log.read_text(errors="replace").count("LOG:  ")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for token, slot_id in jobs:
        request(connection, "POST", "/api/v1/bookings", token, {"slot_id": slot_id})
    connection.close()
    time.sleep(0.5)
    text = log.read_text(errors="replace")
    with server.admin() as admin:
        admin.execute("ALTER SYSTEM RESET log_statement")
        admin.execute("SELECT pg_reload_conf()")
    statements = text.count("LOG:  ") - before
    return statements / len(jobs)


SCHEMA_PACKAGES = ("/marshmallow/", "/webargs/", "/flask_smorest/", "/apispec/")
CATEGORIES: list[tuple[str, Callable[[str, str], bool]]] = [
    (
        "waiting for the database (socket)",
        # psycopg blocks on its socket inside Connection.wait (its C helper is
        # not seen by cProfile, so the time shows as that function's own)
        lambda file, name: (
            (file.endswith("/psycopg/connection.py") and name == "wait")
            or (file == "~" and any(w in name for w in ("poll", "select", "recv")))
        ),
    ),
    ("driver (psycopg)", lambda file, name: "/psycopg" in file),
    ("SQLAlchemy", lambda file, name: "/sqlalchemy/" in file),
    (
        "schemas (marshmallow, webargs, smorest)",
        lambda file, name: any(m in file for m in SCHEMA_PACKAGES),
    ),
    (
        "Flask, Werkzeug and extensions",
        lambda file, name: any(
            m in file for m in ("/flask/", "/werkzeug/", "/flask_", "/limits/", "/jinja2/")
        ),
    ),
    ("campus-share", lambda file, name: "/booking/" in file and "site-packages" not in file),
    ("Babel (dates, messages)", lambda file, name: "/babel/" in file),
]


def profile(url: str, data: dict[str, Any], jobs: list[tuple[str, int]]) -> list[str]:
    """Book `jobs` in process through the WSGI app under cProfile; where the time goes."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    for token, slot_id in jobs[:5]:  # warm up: imports, compiled statements, prepared ones
        client.post("/api/v1/bookings", json={"slot_id": slot_id}, headers=bearer(token))
    profiler = cProfile.Profile()
    profiler.enable()
    for token, slot_id in jobs[5:]:
        client.post("/api/v1/bookings", json={"slot_id": slot_id}, headers=bearer(token))
    profiler.disable()
    with app.app_context():
        db.engine.dispose()
    stats = pstats.Stats(profiler)
    totals = {name: 0.0 for name, _ in CATEGORIES}
    totals["other"] = 0.0
    for (file, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        category = next((label for label, match in CATEGORIES if match(file, name)), "other")
        totals[category] += tottime
    whole = sum(totals.values()) or 1.0
    per_booking = whole / max(1, len(jobs) - 5)
    lines = [f"profile of {len(jobs) - 5} bookings in one process: {ms(per_booking)} per booking"]
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        lines.append(f"  {seconds / whole:5.1%}  {label}")
    return lines


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run(engine: str, args: argparse.Namespace) -> None:
    server = None
    folder = None
    gunicorn = None
    try:
        if engine == "postgresql":
            server = PostgresServer(fast=False).start()  # durable: fsync on
            url = server.create_database("rush")
        else:
            folder = Path(tempfile.mkdtemp(prefix="rush-sqlite-"))
            url = f"sqlite:///{folder / 'rush.sqlite'}"
        print(
            f"\n== {engine}: {args.residents} residents, {args.slots} slots x {args.places} "
            f"places, gunicorn {WORKERS} workers, {CONCURRENCY} client connections, "
            f"{os.cpu_count()} cores"
        )
        data = prepare(url, args, release_in=25 + args.residents / 100)
        port = free_port()
        gunicorn = start_gunicorn(url, port)
        trivial_rps, trivial_lat, trivial_errors = fixed_duration(
            port, "/health", CONCURRENCY, TRIVIAL_SECONDS
        )
        print(
            f"trivial endpoint (/health): {trivial_rps:,.0f} req/s, "
            f"p50 {ms(percentile(trivial_lat, 0.5))}, p99 {ms(percentile(trivial_lat, 0.99))}, "
            f"errors {trivial_errors}"
        )
        if (data["release"] - utcnow()).total_seconds() < 1:
            raise RuntimeError("setup took longer than the release delay")
        result = rush(port, data, args.residents)
        accepted, refused = result["accepted"], result["refused"]
        rate = len(accepted) / result["duration"]
        print(
            f"booking rush: {len(accepted)} accepted, {len(refused)} refused {result['codes']}, "
            f"errors {len(result['errors'])}, in {result['duration']:.2f} s"
        )
        print(
            f"  accepted bookings/s: {rate:,.0f} = {rate / trivial_rps:.2f} of the trivial "
            f"endpoint (all requests: {(len(accepted) + len(refused)) / result['duration']:,.0f}/s)"
        )
        print(
            f"  accepted latency p50 {ms(percentile(accepted, 0.5))}, "
            f"p99 {ms(percentile(accepted, 0.99))}; refused p50 {ms(percentile(refused, 0.5))}, "
            f"p99 {ms(percentile(refused, 0.99))}"
        )
        if result["errors"]:
            print(f"  first errors: {result['errors'][:3]}")
        open_jobs = list(zip(data["tokens"], data["open_slots"], strict=False))
        seq_jobs = open_jobs[: args.sequential]
        seq_rate, seq_lat, seq_errors = sequential(port, seq_jobs)
        print(
            f"sequential (one client): {seq_rate:,.0f} bookings/s, "
            f"p50 {ms(percentile(seq_lat, 0.5))}, p99 {ms(percentile(seq_lat, 0.99))}, "
            f"errors {seq_errors}"
        )
        week_from, week_to = data["week"]
        path = f"/api/v1/facilities/{data['facility']}/slots?from={week_from}&to={week_to}"
        read_rps, read_lat, read_errors = fixed_duration(port, path, READ_CLIENTS, READ_SECONDS)
        print(
            f"availability read (a week, {READ_CLIENTS} clients): {read_rps:,.0f} req/s "
            f"({read_rps / trivial_rps:.2f} of trivial), p50 {ms(percentile(read_lat, 0.5))}, "
            f"p99 {ms(percentile(read_lat, 0.99))}, errors {read_errors}"
        )
        counted = open_jobs[args.sequential : args.sequential + COUNTED_BOOKINGS]
        if server is not None:
            print(f"round trips per booking: {count_round_trips(server, port, counted):.1f}")
        gunicorn.terminate()
        gunicorn.wait(10)
        gunicorn = None
        print(f"places over capacity: {over_capacity(data)}")
        if args.profile:
            profiled = open_jobs[args.sequential + COUNTED_BOOKINGS :]
            for line in profile(url, data, profiled):
                print(line)
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait(10)
        if server:
            server.stop()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=50)
    parser.add_argument("--places", type=int, default=10)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    args = parser.parse_args()
    for engine in args.engine:
        run(engine, args)


if __name__ == "__main__":
    main()
