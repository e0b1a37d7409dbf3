"""Benchmark: the 08:00 release rush, through the JSON API.

gunicorn with 4 workers on a throwaway PostgreSQL; 1,000 residents holding API
tokens; 50 slots released at the same instant; every resident books at once,
from CONCURRENCY client connections. Beside it, in the same run and served the
same way: a trivial JSON endpoint (/health, the stack's ceiling) and the
availability read (a week of a facility's slots) at 16 concurrent clients.

    .venv/bin/python bench/release_rush.py [--residents 1000] [--slots 50] [--places 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import (  # noqa: E402
    ACTIVE_STATUSES,
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


def prepare(url: str, residents: int, slots: int, places: int, release_in: float) -> dict:
    os.environ["BOOKING_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="rush-instance-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.session.add(
            BookingPolicy(is_district_default=True, max_active_bookings=10, max_weekly_per_kind=10)
        )
        school = School(code="RUSH", name="抢约学校", timezone="Asia/Shanghai")
        facilities = [
            Facility(
                school=school, kind=FacilityKind.READING_ROOM, name=f"阅览室{n}", capacity=places
            )
            for n in range(slots)
        ]
        db.session.add_all(facilities)
        db.session.flush()
        now = utcnow().replace(microsecond=0)
        release = now + timedelta(seconds=release_in)
        start = now + timedelta(days=7)
        slot_rows = [
            Slot(
                facility_id=f.id,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                opens_at=release,
                capacity=places,
            )
            for f in facilities
        ]
        # a week of earlier slots per facility for the availability read
        for f in facilities[:5]:
            for day in range(1, 7):
                begin = now + timedelta(days=day)
                slot_rows.append(
                    Slot(
                        facility_id=f.id,
                        starts_at=begin,
                        ends_at=begin + timedelta(hours=2),
                        opens_at=now,
                        capacity=places,
                    )
                )
        db.session.add_all(slot_rows)
        users = [
            User(role=Role.RESIDENT, phone=f"137{n:08d}", real_name="居民", password_hash="-")  # noqa: S106 (token users)
            for n in range(residents)
        ]
        db.session.add_all(users)
        db.session.flush()
        tokens = [issue_token(db.session, user, now=now)[0] for user in users]
        db.session.commit()
        target_slots = [s.id for s in slot_rows[:slots]]
        first_facility = facilities[0].id
        tz = zone("Asia/Shanghai")
        week = (
            local_date(now, tz).isoformat(),
            (local_date(now, tz) + timedelta(days=6)).isoformat(),
        )
        db.engine.dispose()
    return {
        "tokens": tokens,
        "slots": target_slots,
        "release": release,
        "facility": first_facility,
        "week": week,
        "app": app,
    }


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "BOOKING_ENV": "production",
        "SECRET_KEY": "rush-" + "x" * 40,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "0",
        "SESSION_COOKIE_SECURE": "0",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "4",
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
    body: dict | None = None,
) -> tuple[int, dict, float]:
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


def rush(port: int, data: dict) -> dict:
    """Every resident books a random slot of the 50 as soon as they open."""
    jobs = list(
        zip(data["tokens"], [random.choice(data["slots"]) for _ in data["tokens"]], strict=True)
    )  # noqa: S311
    lock = threading.Lock()
    accepted: list[float] = []
    refused: list[float] = []
    errors: list[tuple[int, dict]] = []
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


def over_capacity(data: dict) -> int:
    with data["app"].app_context():
        rows = db.session.execute(
            sa.select(Slot.id, Slot.capacity, sa.func.coalesce(sa.func.sum(Booking.places), 0))
            .outerjoin(
                Booking, sa.and_(Booking.slot_id == Slot.id, Booking.status.in_(ACTIVE_STATUSES))
            )
            .where(Slot.id.in_(data["slots"]))
            .group_by(Slot.id, Slot.capacity)
        ).all()
        db.engine.dispose()
    return sum(max(0, booked - capacity) for _, capacity, booked in rows)


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=50)
    parser.add_argument("--places", type=int, default=10)
    args = parser.parse_args()
    server = PostgresServer(fast=False).start()
    gunicorn = None
    try:
        url = server.create_database("rush")
        print(
            f"release rush: {args.residents} residents, {args.slots} slots x {args.places} places, "
            f"gunicorn 4 workers, PostgreSQL 15, {CONCURRENCY} client connections, "
            f"{os.cpu_count()} cores"
        )
        data = prepare(url, args.residents, args.slots, args.places, release_in=25)
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
        seconds_left = (data["release"] - utcnow()).total_seconds()
        if seconds_left < 1:
            raise RuntimeError("setup took longer than the release delay; raise release_in")
        result = rush(port, data)
        accepted, refused = result["accepted"], result["refused"]
        rate = len(accepted) / result["duration"]
        print(
            f"booking rush: {len(accepted)} accepted, {len(refused)} refused {result['codes']}, "
            f"errors {len(result['errors'])}, in {result['duration']:.2f} s"
        )
        print(
            f"  accepted bookings/s: {rate:,.0f} ({rate / trivial_rps:.2f} of the trivial endpoint)"
        )
        print(f"  all requests/s: {(len(accepted) + len(refused)) / result['duration']:,.0f}")
        print(
            f"  accepted latency p50 {ms(percentile(accepted, 0.5))}, "
            f"p99 {ms(percentile(accepted, 0.99))}"
        )
        print(
            f"  refused latency  p50 {ms(percentile(refused, 0.5))}, "
            f"p99 {ms(percentile(refused, 0.99))}"
        )
        print(f"  places over capacity: {over_capacity(data)}")
        if result["errors"]:
            print(f"  first errors: {result['errors'][:3]}")
        week_from, week_to = data["week"]
        path = f"/api/v1/facilities/{data['facility']}/slots?from={week_from}&to={week_to}"
        read_rps, read_lat, read_errors = fixed_duration(port, path, READ_CLIENTS, READ_SECONDS)
        print(
            f"availability read (a week, {READ_CLIENTS} clients): {read_rps:,.0f} req/s "
            f"({read_rps / trivial_rps:.2f} of trivial), p50 {ms(percentile(read_lat, 0.5))}, "
            f"p99 {ms(percentile(read_lat, 0.99))}, errors {read_errors}"
        )
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait(10)
        server.stop()


if __name__ == "__main__":
    main()
