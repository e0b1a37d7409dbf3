"""Each scheduled run happens once, however many schedulers fire it."""

import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import DayType, JobRun, JobRunStatus, Slot
from booking.ops.jobs import JOBS, LEASE, Job, claim, run_job
from booking.ops.scheduler import catch_up
from booking.services.slots import generate_slots
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
DUE = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01:00 on 24 November in Shanghai
FIXED_NOW = lambda: NOW  # noqa: E731


@pytest.fixture
def district(make_school, make_facility, make_rule):
    """A few schools whose rules open only in the evening."""
    for _n in range(3):
        school = make_school()
        for _ in range(3):
            facility = make_facility(school)
            make_rule(
                facility,
                day_type=DayType.ALL_DAYS,
                start_time=time(18),
                end_time=time(21),
                slot_minutes=60,
            )


def expected_slots(app, now=NOW):
    with app.app_context():
        return generate_slots(db.session, now=now, dry_run=True).total.created


def counts(app):
    with app.app_context():
        runs = db.session.scalars(sa.select(JobRun)).all()
        slots = db.session.scalar(sa.select(sa.func.count()).select_from(Slot))
        distinct = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Slot.facility_id, Slot.starts_at).distinct().subquery()
            )
        )
        db.session.expunge_all()
        return runs, slots, distinct


def test_latest_due_of_the_nightly_job():
    from booking.services.clock import zone

    job = JOBS["generate_slots"]
    shanghai = zone("Asia/Shanghai")
    assert job.latest_due(NOW, shanghai) == DUE
    assert job.latest_due(DUE, shanghai) == DUE
    assert job.latest_due(DUE - timedelta(seconds=1), shanghai) == DUE - timedelta(days=1)


def test_a_claimed_run_cannot_be_claimed_again(app):
    with app.app_context():
        assert claim(db.session, "generate_slots", DUE, NOW) is not None
        assert claim(db.session, "generate_slots", DUE, NOW + timedelta(minutes=1)) is None
        assert claim(db.session, "generate_slots", DUE + timedelta(days=1), NOW) is not None


def test_a_run_records_its_result(app, district):
    with app.app_context():
        run = run_job(db.session, JOBS["generate_slots"], due_at=DUE, clock_now=FIXED_NOW)
        assert run.status == JobRunStatus.SUCCEEDED
        assert run.counts["created"] == 9 * 9 * 3  # 9 facilities, 9 local days, 3 slots a day
        assert run.finished_at == NOW
        assert run.error is None


def test_a_failing_job_records_the_error(app):
    def explode(session, now, checkpoint):
        raise RuntimeError("disk on fire")

    with app.app_context():
        run = run_job(db.session, Job("explode", "fails", explode, daily_at=time(1)), due_at=DUE)
        assert run.status == JobRunStatus.FAILED
        assert "disk on fire" in run.error


def test_one_broken_facility_fails_the_run_but_the_others_get_slots(
    app, district, make_school, make_facility, make_rule
):
    make_rule(make_facility(make_school(timezone="Mars/Olympus_Mons")))
    with app.app_context():
        run = run_job(db.session, JOBS["generate_slots"], due_at=DUE, clock_now=FIXED_NOW)
        assert run.status == JobRunStatus.FAILED
        assert "1 failed" in run.error
        assert "UnknownTimezone" in run.error
        assert run.counts["created"] == 243
    assert counts(app)[1] == 243


def test_two_schedulers_in_threads_run_the_job_once(app, district):
    expected = expected_slots(app)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scheduler():
        try:
            with app.app_context():
                barrier.wait()
                run = run_job(db.session, JOBS["generate_slots"], due_at=DUE, clock_now=FIXED_NOW)
                results.append(run is not None)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [False, True]
    runs, slots, distinct = counts(app)
    assert len(runs) == 1
    assert runs[0].status == JobRunStatus.SUCCEEDED
    assert slots == distinct == expected


def worker(database_url, tmp_path, *extra):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BOOKING_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "BOOKING_ENV": "development",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.job_worker",
            DUE.isoformat(),
            NOW.isoformat(),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_scheduler_processes_run_the_job_once(app, district, database_url, tmp_path):
    expected = expected_slots(app)
    processes = [worker(database_url, tmp_path) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sorted(out.strip() for out, _ in outputs) == ["claimed-elsewhere", "ran"]
    runs, slots, distinct = counts(app)
    assert len(runs) == 1
    assert runs[0].status == JobRunStatus.SUCCEEDED, runs[0].error
    assert slots == distinct == expected


def test_a_killed_run_is_finished_by_the_next_scheduler_without_duplicates(
    app, district, database_url, tmp_path
):
    expected = expected_slots(app)
    process = worker(database_url, tmp_path, "--hang-after-first-batch")
    try:
        assert process.stdout.readline().strip() == "checkpoint", process.stderr.read()
        process.kill()  # SIGKILL: no cleanup, the claim stays "running"
        process.wait(30)
    finally:
        process.stdout.close()
        process.stderr.close()
    runs, slots_after_kill, _ = counts(app)
    assert runs[0].status == JobRunStatus.RUNNING
    assert 0 < slots_after_kill < expected

    with app.app_context():
        # Within the lease the claim still belongs to the dead worker...
        assert run_job(db.session, JOBS["generate_slots"], due_at=DUE, clock_now=FIXED_NOW) is None
        # ...after it, the next scheduler takes the run over and finishes it.
        later = NOW + LEASE + timedelta(minutes=1)
        run = run_job(db.session, JOBS["generate_slots"], due_at=DUE, clock_now=lambda: later)
        assert run.status == JobRunStatus.SUCCEEDED
        assert run.attempts == 2
        assert run.error.startswith("Abandoned: the worker ")  # the story of the first attempt
        assert run.error.endswith("Taken over.")
    runs, slots, distinct = counts(app)
    assert len(runs) == 1
    assert slots == distinct == expected


def test_scheduler_catches_up_a_missed_nightly_run(app, district):
    catch_up(app)
    catch_up(app)  # a second scheduler starting finds it done
    runs, slots, _ = counts(app)
    assert sorted(run.job for run in runs) == sorted(JOBS)  # each job's latest due run, once
    assert {run.status for run in runs} == {JobRunStatus.SUCCEEDED}
    assert slots > 0


def test_jobs_commands(runner, app, district):
    result = runner.invoke(args=["jobs", "run", "generate_slots"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    listing = runner.invoke(args=["jobs", "list"])
    assert "generate_slots" in listing.output
    assert "daily at 01:00" in listing.output
    assert "succeeded" in listing.output
    unknown = runner.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code == 2
    assert (
        "the jobs are: generate_slots, expire_pending, lapse_offers, mark_no_shows"
        in unknown.output
    )


def test_a_killed_manual_run_is_marked_failed_after_its_lease(runner, app):
    from booking.ops.jobs import fail_abandoned
    from booking.services.clock import utcnow

    now = utcnow().replace(microsecond=0)
    with app.app_context():  # `jobs run` claimed for its own second, then its process died
        claim(db.session, "send_reminders", now, now)
        db.session.commit()
    listing = runner.invoke(args=["jobs", "list"])
    assert "running" in listing.output  # within the lease its worker may be alive
    with app.app_context():
        assert fail_abandoned(db.session, now + LEASE + timedelta(seconds=1)) == 1
        db.session.commit()
        run = db.session.scalar(sa.select(JobRun))
        assert run.status == JobRunStatus.FAILED
        assert "stopped beating" in run.error


def test_slots_generate_from_the_command_line_is_a_recorded_run(runner, app, district):
    assert "No runs yet." in runner.invoke(args=["jobs", "list"]).output
    result = runner.invoke(args=["slots", "generate", "--days", "3"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "No runs yet." not in listing
    assert re.search(r"generate_slots\s+due .*succeeded.*created [1-9]", listing)
    dry = runner.invoke(args=["slots", "generate", "--dry-run"])
    assert dry.exit_code == 0
    with app.app_context():  # a dry run changes nothing, and is not a run
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1
