"""Benchmark: the district usage report and the opening tracker on a city's year.

Fills a database with 1,000 schools x 5 facilities (PostgreSQL; 100 schools on
SQLite) and a year of slots: 4 one-hour slots on weekdays, 10 at the weekend,
about 10 million slots on PostgreSQL, by INSERT ... SELECT in the database.
About a third of the slots have a booking with every outcome (checked in,
no-show, cancelled by resident or staff, rejected), the halls' approvals are
in the audit log, and some bookings came from the waitlist. Then builds the
daily usage figures as the nightly job's first run does (timed), times the
district report (by school) for a month and for the year (all of it from the
daily figures, and with the last 14 or 2 days read raw: 2 is the steady state,
the nightly job keeps the watermark two days back), and the tracker for a week,
and on PostgreSQL prints the plan (EXPLAIN ANALYZE) of each query.

    .venv/bin/python bench/reports.py [--engines sqlite,postgresql]
                                      [--schools 1000] [--sqlite-schools 100] [--no-explain]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import DistrictSettings  # noqa: E402
from booking.services import reports, tracker, usage_days  # noqa: E402
from booking.services.calendar import import_official_holidays  # noqa: E402
from tests.pg_server import PostgresServer  # noqa: E402

YEAR = 2026
FIRST = date(YEAR, 1, 1)
DAYS = 365
RESIDENTS = 2000
KINDS = (  # kind, capacity, exclusive
    ("lecture_hall", 300, True),
    ("library", 60, False),
    ("reading_room", 40, False),
    ("sports_venue", 30, False),
    ("parking", 50, False),
)
WEEKDAY_SLOTS = [17 * 60 + 60 * k for k in range(4)]  # 17:00-21:00, local
WEEKEND_SLOTS = [8 * 60 + 60 * k for k in range(10)]  # 08:00-18:00
SHANGHAI = timedelta(hours=8)
SHANGHAI_ZONE = ZoneInfo("Asia/Shanghai")


def fill(schools: int) -> dict[str, int]:
    """The city, in a handful of statements."""
    session = db.session
    engine = session.get_bind().dialect.name
    import_official_holidays(session, [YEAR])
    now = datetime(YEAR + 1, 1, 1, tzinfo=UTC)
    session.execute(
        sa.text(
            "INSERT INTO schools (id, code, name, address, is_public, timezone, is_active, "
            "created_at) VALUES (:id, :code, :name, '', :public, 'Asia/Shanghai', :active, :now)"
        ),
        [
            {
                "id": n + 1,
                "code": f"C{n:05d}",
                "name": f"城市学校{n}",
                "public": n % 10 != 0,
                "active": True,
                "now": now,
            }
            for n in range(schools)
        ],
    )
    session.execute(
        sa.text(
            "INSERT INTO facilities (id, school_id, kind, name, description, entrance_notes, "
            "capacity, is_exclusive, requires_approval, is_active, created_at) VALUES "
            "(:id, :school, :kind, :name, '', '', :capacity, :exclusive, :exclusive, :active, :now)"
        ),
        [
            {
                "id": n * 5 + k + 1,
                "school": n + 1,
                "kind": kind,
                "name": kind,
                "capacity": capacity,
                "exclusive": exclusive,
                # one school in 25 has not opened its parking lot: the tracker shows it
                "active": not (kind == "parking" and n % 25 == 3),
                "now": now,
            }
            for n in range(schools)
            for k, (kind, capacity, exclusive) in enumerate(KINDS)
        ],
    )
    session.execute(
        sa.text(
            "INSERT INTO users (id, role, real_name, phone, password_hash, is_verified, "
            "is_active, no_show_count, session_version, created_at) VALUES "
            "(:id, :role, :name, :phone, 'x', true, true, 0, 1, :now)"
        ),
        [
            {
                "id": n + 1,
                "role": "resident" if n else "admin",
                "name": f"居民{n}",
                "phone": f"137{n:08d}",
                "now": now,
            }
            for n in range(RESIDENTS)
        ],
    )
    session.execute(sa.text("CREATE TABLE bench_days (d INTEGER, weekend BOOLEAN)"))
    session.execute(
        sa.text("INSERT INTO bench_days VALUES (:d, :weekend)"),
        [{"d": d, "weekend": (FIRST + timedelta(days=d)).weekday() >= 5} for d in range(DAYS)],
    )
    session.execute(sa.text("CREATE TABLE bench_times (weekend BOOLEAN, minute INTEGER)"))
    session.execute(
        sa.text("INSERT INTO bench_times VALUES (:weekend, :minute)"),
        [{"weekend": False, "minute": m} for m in WEEKDAY_SLOTS]
        + [{"weekend": True, "minute": m} for m in WEEKEND_SLOTS],
    )
    base = datetime.combine(FIRST, datetime.min.time()) - SHANGHAI  # local midnight, in UTC
    if engine == "postgresql":
        start = "CAST(:base AS TIMESTAMPTZ) + make_interval(days => d.d, mins => t.minute)"
        plus = "{} + INTERVAL '{}'"
        base_value: Any = base.replace(tzinfo=UTC)
    else:
        start = (
            "strftime('%Y-%m-%d %H:%M:%S', :base, '+' || d.d || ' days', "
            "'+' || t.minute || ' minutes') || '.000000'"
        )
        plus = "strftime('%Y-%m-%d %H:%M:%S', {}, '{}') || '.000000'"
        base_value = base.strftime("%Y-%m-%d %H:%M:%S")

    def shifted(column: str, amount: str) -> str:
        return plus.format(column, amount)

    session.execute(
        sa.text(
            "INSERT INTO slots (facility_id, starts_at, ends_at, opens_at, capacity, held, "  # noqa: S608 (our own SQL)
            "created_at) SELECT f.id, s.starts_at, "
            + shifted("s.starts_at", "+1 hour")
            + ", "
            + shifted("s.starts_at", "-7 days")
            + ", f.capacity, 0, "
            + shifted("s.starts_at", "-8 days")
            + f" FROM facilities f CROSS JOIN (SELECT {start} AS starts_at FROM bench_days d "  # noqa: S608
            "JOIN bench_times t ON t.weekend = d.weekend) s WHERE f.is_active "
            # the nightly job adds slots day by day: stored in that order
            "ORDER BY s.starts_at, f.id"
        ),
        {"base": base_value},
    )
    # A third of the slots have a booking; its outcome by the slot's id.
    outcome = (
        "CASE WHEN (s.id / 3) % 20 < 14 THEN 'checked_in' WHEN (s.id / 3) % 20 < 16 "
        "THEN 'no_show' WHEN (s.id / 3) % 20 < 18 THEN 'cancelled' WHEN (s.id / 3) % 20 < 19 "
        "THEN 'rejected' ELSE 'confirmed' END"
    )
    session.execute(
        sa.text(
            "INSERT INTO bookings (code, slot_id, resident_id, places, status, created_at, "
            "updated_at, decided_by_id, version) SELECT 'B' || s.id, s.id, "
            f"2 + s.id % {RESIDENTS - 1}, "
            "CASE WHEN f.is_exclusive THEN s.capacity ELSE 1 + s.id % 3 END, "
            f"{outcome}, "
            + shifted("s.starts_at", "-2 days")
            + ", "
            + shifted("s.starts_at", "-2 days")
            + ", CASE WHEN (s.id / 3) % 20 = 16 THEN 2 + s.id % "
            f"{RESIDENTS - 1} ELSE NULL END, 2 "
            "FROM slots s JOIN facilities f ON f.id = s.facility_id WHERE s.id % 3 = 0"
        )
    )
    session.execute(
        sa.text(
            "INSERT INTO audit_events (at, actor_id, action, target_type, target_id, school_id, "
            "details) SELECT "
            + shifted("b.created_at", "+5 hours")
            + ", 1, 'booking.confirmed', 'booking', b.id, f.school_id, '{}' "
            "FROM bookings b JOIN slots s ON s.id = b.slot_id "
            "JOIN facilities f ON f.id = s.facility_id "
            "WHERE f.requires_approval AND b.status IN ('checked_in', 'no_show', 'confirmed')"
        )
    )
    session.execute(
        sa.text(
            "INSERT INTO waitlist_entries (slot_id, resident_id, places, status, details, "
            "created_at, booking_id) SELECT b.slot_id, b.resident_id, b.places, 'accepted', "
            "'{}', b.created_at, b.id FROM bookings b WHERE b.id % 40 = 0"
        )
    )
    session.commit()
    session.execute(sa.text("ANALYZE"))
    session.commit()
    count = {
        table: session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        for table in ("facilities", "slots", "bookings", "audit_events", "waitlist_entries")
    }
    return count


class Statements:
    """The statements a call sends, to EXPLAIN them afterwards."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.seen.append((statement, parameters))


def timed(label: str, call: Any, runs: int = 2) -> float:
    best = float("inf")
    for _ in range(runs):
        db.session.rollback()
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    print(f"  {label:<34} {best:>7.2f} s", flush=True)
    return best


def explain(call: Any) -> None:
    statements = Statements()
    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", statements)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", statements)
    connection = db.session.connection().connection.driver_connection
    for statement, parameters in statements.seen:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
        first_line = " ".join(statement.split())[:110]
        print(f"    -- {first_line}...")
        for line in plan:
            if (
                "->" in line
                or line.startswith(("Planning", "Execution"))
                or not line.startswith(" ")
            ):
                print(f"       {line[:150]}")


def build_usage_days(counts: dict[str, int]) -> None:
    """The nightly job's first run: every day up to 31 December, a month a commit."""
    started = time.perf_counter()
    now = datetime(YEAR + 1, 1, 2, 12, tzinfo=UTC)  # 31 December is settled
    result = usage_days.rebuild_settled(db.session, now, SHANGHAI_ZONE, db.session.commit)
    db.session.commit()
    elapsed = time.perf_counter() - started
    source = counts["slots"] + counts["bookings"]
    delays = db.session.scalar(sa.text("SELECT count(*) FROM approval_delays"))
    print(
        f"  daily figures built in {elapsed:.1f} s: {result['facility_days']:,} facility-days "
        f"and {delays:,} approval delays, "
        f"{source / elapsed:,.0f} slots and bookings read per second",
        flush=True,
    )
    db.session.execute(sa.text("ANALYZE usage_days"))
    db.session.execute(sa.text("ANALYZE approval_delays"))
    db.session.commit()


def with_raw_tail(days: int, call: Any) -> Any:
    """`call` with the watermark `days` before the year's end (rolled back by `timed`)."""

    def tailed() -> Any:
        last = FIRST + timedelta(days=DAYS - 1 - days)
        db.session.execute(sa.update(DistrictSettings).values(usage_days_through=last))
        return call()

    return tailed


def measure(url: str, schools: int, show_plans: bool) -> None:
    os.environ["BOOKING_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-instance-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ECHO": False})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        counts = fill(schools)
        print(
            f"  filled in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{n:,} {table}" for table, n in counts.items()),
            flush=True,
        )
        build_usage_days(counts)
        month = reports.Period(date(YEAR, 6, 1), date(YEAR, 6, 30))
        year = reports.Period(FIRST, FIRST + timedelta(days=DAYS - 1))
        week = date(YEAR, 6, 8)
        calls = {
            "district report, a month": lambda: reports.usage_report(db.session, month),
            "district report, the year": lambda: reports.usage_report(db.session, year),
            "the year, last 14 days raw": with_raw_tail(
                14, lambda: reports.usage_report(db.session, year)
            ),
            "the year, last 2 days raw": with_raw_tail(
                2, lambda: reports.usage_report(db.session, year)
            ),
            "district report by facility, month": lambda: reports.usage_report(
                db.session, month, grouping=reports.Grouping.FACILITY
            ),
            "one school's report, the year": lambda: reports.usage_report(
                db.session, year, school_ids=[1]
            ),
            "tracker, a week": lambda: tracker.build_tracker(db.session, week),
        }
        for label, call in calls.items():
            timed(label, call)
        result = tracker.build_tracker(db.session, week)
        print(f"  tracker: {len(result.behind)} of {len(result.schools)} schools behind")
        if show_plans and db.engine.dialect.name == "postgresql":
            for label in (
                "district report, a month",
                "district report, the year",
                "the year, last 14 days raw",
                "the year, last 2 days raw",
            ):
                print(f"  plans of {label}:")
                explain(calls[label])
        db.session.rollback()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--sqlite-schools", type=int, default=100)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()
    print(
        f"reports and tracker on a city's year: {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    server = None
    try:
        for engine in args.engines.split(","):
            if engine == "sqlite":
                schools = args.sqlite_schools
                url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite"
            else:
                schools = args.schools
                server = server or PostgresServer(fast=False).start()
                url = server.create_database("bench_reports")
            print(f"{engine}: {schools} schools x 5 facilities, {DAYS} days", flush=True)
            measure(url, schools, not args.no_explain)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
