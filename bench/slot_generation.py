"""Benchmark: publishing slots for a synthetic city.

Builds 1,000 schools with 5 facilities each (the demo district's rules), then
times `generate_slots` for a 30-day horizon and an immediate re-run, on
SQLite and on a throwaway PostgreSQL. Prints slots per second.

    .venv/bin/python bench/slot_generation.py [--schools 1000] [--days 30]
                                              [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Slot  # noqa: E402
from booking.ops.demo import SCHOOLS, academic_years, demo_facilities, district_default_policy  # noqa: E402
from booking.services.calendar import import_official_holidays  # noqa: E402
from booking.services.clock import utcnow  # noqa: E402
from booking.services.slots import generate_slots  # noqa: E402
from tests.pg_server import PostgresServer  # noqa: E402


def build_city(schools: int, today: date) -> int:
    """Schools with a hall, a library, a reading room, parking and a sports hall each."""
    first, last = academic_years(today)
    template = SCHOOLS[0]
    db.session.add(district_default_policy())
    import_official_holidays(db.session, [today.year, today.year + 1])
    from booking.models import School

    for n in range(schools):
        spec = template.__class__(
            code=f"C{n:05d}",
            name=f"城市学校{n}",
            name_en=f"City school {n}",
            address="",
            sports=True,
        )
        db.session.add(
            School(
                code=spec.code,
                name=spec.name,
                address="",
                facilities=demo_facilities(spec, first, last),
            )
        )
        if n % 200 == 199:
            db.session.flush()
    db.session.commit()
    return schools * 5


def measure(url: str, schools: int, days: int) -> dict[str, float]:
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    os.environ["BOOKING_INSTANCE_PATH"] = instance
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ECHO": False})
    with app.app_context():
        db.create_all()
        now = utcnow()
        started = time.perf_counter()
        facilities = build_city(schools, now.date())
        build_seconds = time.perf_counter() - started

        started = time.perf_counter()
        first = generate_slots(db.session, now=now, days=days, checkpoint=db.session.commit)
        db.session.commit()
        first_seconds = time.perf_counter() - started

        started = time.perf_counter()
        again = generate_slots(db.session, now=now, days=days, checkpoint=db.session.commit)
        db.session.commit()
        rerun_seconds = time.perf_counter() - started

        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Slot))
        assert again.total.created == 0
        assert stored == first.total.created
        db.engine.dispose()
    return {
        "facilities": facilities,
        "build_s": build_seconds,
        "slots": first.total.created,
        "first_s": first_seconds,
        "rerun_s": rerun_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"slot generation: {args.schools} schools x 5 facilities, {args.days}-day horizon, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    columns = ("engine", "slots", "first run", "slots/s", "re-run", "speed-up")
    print("{:<11} {:>9} {:>10} {:>9} {:>8} {:>8}".format(*columns))
    server = None
    try:
        for engine in args.engines.split(","):
            if engine == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite"
            else:
                server = server or PostgresServer(fast=False).start()
                url = server.create_database("bench_slots")
            result = measure(url, args.schools, args.days)
            print(
                f"{engine:<11} {result['slots']:>9,} {result['first_s']:>9.2f}s "
                f"{result['slots'] / result['first_s']:>9,.0f} {result['rerun_s']:>7.2f}s "
                f"{result['first_s'] / result['rerun_s']:>7.1f}x",
                flush=True,
            )
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
