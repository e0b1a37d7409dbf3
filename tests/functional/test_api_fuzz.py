"""Schemathesis over every operation of /api/v1/openapi.json, through WSGI, on a
database with a school, facilities, slots, bookings, a waitlist and a
resident's bearer token (tests/functional/campus.py).

Each operation gets schema-conforming cases and cases that break the schema
(negative mode): no answer may be a 5xx, and every answer must be one the
document describes (status code, content type, body schema, headers).

The cases are drawn operation by operation with Hypothesis here rather than
through `schema.parametrize()`, whose lazy-fixture form needs a pytest
internal that pytest 9 no longer has.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from booking.extensions import db
from booking.models import User
from booking.services.clock import utcnow
from booking.web.api.auth import issue_token
from tests.functional.campus import RESIDENT_PHONE, build_campus

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Per operation and mode; the document has 25 operations, about 1,300 cases per engine.
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}
MIN_CASES_PER_ENGINE = 1000
# Schemathesis draws strings from UTF-8 text, so a lone surrogate never comes and
# NUL seldom does; half the cases get one of these planted in one of their values.
HOSTILE: list[Any] = [
    "\x00",
    "13700000001\x00",
    "\ud800",
    "a\udfffb",
    "\x1b[0m",
    "line\nbreak",
    "\u202e",
    "x" * 5000,
    "<script>alert(1)</script>",
    '=HYPERLINK("http://example.com")',
    "0001-01-01",
    "9999-12-31",
    "２０２６-１２-０１",
    "１２",
    "²",
    2**31,
    2**63,
    -(2**63),
    -1,
    0,
    1e308,
    True,
    None,
    [],
    {},
]


SURROGATE = re.compile("[\ud800-\udfff]")


def plant(case: Any, hostile: Any, pick: int, document: dict[str, Any]) -> None:
    """Put `hostile` in one of the case's values: a body field (sent or
    documented) or a query or path parameter. A URL cannot carry a lone
    surrogate (its UTF-8 bytes decode to U+FFFD), so those go in bodies only."""
    spots: list[tuple[dict[str, Any], str]] = []
    if isinstance(case.body, dict):
        names = set(case.body) | body_fields(document, case.operation.path, case.operation.method)
        spots += [(case.body, name) for name in sorted(names)]
    if not (isinstance(hostile, str) and SURROGATE.search(hostile)):
        for container in (case.query, case.path_parameters):
            if container:
                spots += [(container, name) for name in sorted(container)]
    if not spots:
        return
    container, name = spots[pick % len(spots)]
    container[name] = hostile if container is case.body else str(hostile)
    if container is case.body and isinstance(hostile, str) and SURROGATE.search(hostile):
        # Sent as JSON text: "\ud800" escapes, as a client's bug would send them.
        case.body = json.dumps(case.body).encode()


def body_fields(document: dict[str, Any], path: str, method: str) -> set[str]:
    """The properties the document gives the operation's JSON body."""
    body = document["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return set()
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    return set(document["components"]["schemas"][name].get("properties", {}))


def fresh_token(app: Flask) -> str:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.phone == RESIDENT_PHONE))
        raw, _token = issue_token(db.session, user, now=utcnow())
        db.session.commit()
    return raw


def test_api_answers_as_documented(app: Flask, engine_name: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is a finding, checked as one
    build_campus(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    cases = 0
    failures: list[str] = []
    started = time.monotonic()

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode, examples in EXAMPLES.items():
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception:  # noqa: S112 (nothing to break in an operation without inputs)
                continue

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            @given(
                case=strategy, hostile=st.sampled_from([None, None, *HOSTILE]), pick=st.integers()
            )
            def run(case: Any, hostile: Any, pick: int) -> None:
                nonlocal cases
                cases += 1
                if hostile is not None:
                    plant(case, hostile, pick, document)
                # A token per case: some operations revoke the tokens they are sent with.
                token = fresh_token(app)
                # identity: the WSGI transport asks for compression but does not decode it
                headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                continue  # no input of this operation can break its schema (GET /schools)
            except Exception as error:  # report every operation's finding, not just the first
                failures.append(f"{label} ({mode.value}): {str(error)[:2000]}")

    elapsed = time.monotonic() - started
    print(f"\nschemathesis on {engine_name}: {cases} cases in {elapsed:.1f}s")  # noqa: T201
    assert failures == [], "\n\n".join(failures)
    assert cases >= MIN_CASES_PER_ENGINE
