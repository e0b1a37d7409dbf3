"""Prometheus metrics, defined once per process. Under gunicorn, set
PROMETHEUS_MULTIPROC_DIR (an empty directory per start) so that /metrics
adds up every worker's figures."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "campus_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "campus_request_seconds",
    "Time to answer a request.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter(
    "campus_bookings_total",
    "Booking attempts by outcome: made, or refused with the rule's code.",
    ["outcome"],
)
JOB_RUNS = Counter("campus_job_runs_total", "Finished job runs.", ["job", "status"])

__all__ = ["BOOKINGS", "CONTENT_TYPE_LATEST", "JOB_RUNS", "LATENCY", "REQUESTS", "exposition"]


def exposition() -> bytes:
    """The text format of every metric, summed over the workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
