"""A scheduler stand-in for the job tests, run as a separate process.

    python -m tests.integration.job_worker DUE_AT NOW [--hang-after-first-batch]

Runs generate_slots for DUE_AT on the DATABASE_URL of its environment, with
the clock fixed at NOW, and prints the run's status. With
--hang-after-first-batch it stops after committing its first batch, to be
killed there by the test.
"""

import sys
import time
from datetime import datetime

from booking import create_app
from booking.extensions import db
from booking.ops.jobs import JOBS, Job, run_generate_slots, run_job
from booking.services import slots


def main() -> None:
    due_at, now = datetime.fromisoformat(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
    hang = "--hang-after-first-batch" in sys.argv
    slots.FACILITIES_PER_BATCH = 2
    job = JOBS["generate_slots"]
    if hang:

        def body(session, when, checkpoint):
            def checkpoint_then_hang():
                checkpoint()
                print("checkpoint", flush=True)
                time.sleep(600)

            return run_generate_slots(session, when, checkpoint_then_hang)

        job = Job(job.name, job.description, body, daily_at=job.daily_at)
    app = create_app()
    with app.app_context():
        run = run_job(db.session, job, due_at=due_at, clock_now=lambda: now)
        print("ran" if run is not None else "claimed-elsewhere", flush=True)


if __name__ == "__main__":
    main()
