"""One JSON line per request on the `booking.request` logger: its id, method,
route (the rule, never the path or query string, which may carry a phone
number or a plate), status and duration. The id comes from X-Request-ID when
a proxy sets one, and is sent back in that header."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

from booking import metrics

log = logging.getLogger("booking.request")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class NoQueryStrings(logging.Filter):
    """The development server's access log without query strings (?q=13700001234)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            first = record.args[0]
            if isinstance(first, str) and "?" in first:
                record.args = (re.sub(r"\?\S*", "?…", first), *record.args[1:])
        return True


def register(app: Flask) -> None:
    access_log = logging.getLogger("werkzeug")
    if not any(isinstance(known, NoQueryStrings) for known in access_log.filters):
        access_log.addFilter(NoQueryStrings())

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()
        asked = request.headers.get("X-Request-ID", "")
        g.request_id = asked if REQUEST_ID.fullmatch(asked) else secrets.token_hex(8)

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:
            return response
        response.headers["X-Request-ID"] = g.request_id
        route = request.url_rule.rule if request.url_rule else "(no route)"
        took = time.perf_counter() - started
        metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.LATENCY.labels(route).observe(took)
        log.info(
            json.dumps(
                {
                    "request_id": g.request_id,
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(took * 1000, 1),
                },
                separators=(",", ":"),
            )
        )
        return response
