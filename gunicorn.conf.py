"""gunicorn for campus-share: `gunicorn -c gunicorn.conf.py "booking:create_app()"`.

Workers are stateless (signed cookie sessions; rate limits and failure
counts in Redis when RATELIMIT_STORAGE_URI points there), so more workers on
more machines serve more residents. The scheduler is never started here: it
is its own process (`flask --app booking scheduler`).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Booking is mostly waiting on PostgreSQL: two workers per core, at least two.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count() * 2)))
worker_class = "sync"
timeout = 30  # a request still running after 30 s is killed and its worker replaced
graceful_timeout = 20
keepalive = 5
backlog = 2048  # the 08:00 rush queues here rather than being refused
max_requests = 5000  # recycle workers now and then, with jitter so they do not all at once
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The access log names the route's path without its query string (which may carry a
# phone number or a plate), the status, the size and the time taken.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%({x-request-id}o)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def child_exit(server, worker):  # noqa: ARG001 (gunicorn's hook signature)
    """Prometheus multiprocess mode: forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
