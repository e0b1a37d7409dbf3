"""Hostile values in every form and query parameter of the pages: no 5xx and
no traceback, on SQLite and PostgreSQL.

The forms are found, not listed: the pages a resident, a staff member and a
visitor see (and the pages they link to) are crawled and their <form>
elements parsed, so a form added tomorrow is fuzzed without anyone adding it
here. GET pages also get the query parameters they read (QUERY_PARAMETERS).
Values are each field's own (a valid default, or one of its options) or
hostile: long strings, NUL and other control characters, lone surrogates as
raw UTF-8 bytes (%ED%A0%80), huge and negative numbers, years 1 and 9999,
full-width digits, markup and spreadsheet formulas.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_plus, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD
from tests.functional.campus import (
    RESIDENT_PHONE,
    STAFF_PHONE,
    Campus,
    build_campus,
    local_day,
)

EXAMPLES_PER_TARGET = 60
MAX_PAGES_PER_ROLE = 40
# Where the crawl starts; links found there are followed, within the site.
SEEDS = {
    "visitor": ["/", "/find", "/schools/ODD", "/auth/login", "/auth/register"],
    "resident": [
        "/",
        "/me/bookings",
        "/notices",
        "/bookings/{confirmed_code}",
        "/slots/{open_slot_id}/book",
        "/slots/{full_slot_id}/book",
        "/slots/{hall_slot_id}/book",
        "/slots/{parking_slot_id}/book",
        "/facilities/{room_id}",
    ],
    "staff": [
        "/staff/",
        "/staff/requests/{pending_code}",
        "/staff/checkin",
        "/staff/search",
        "/staff/checkin/{confirmed_code}",
        "/staff/checkin/{no_show_code}",
        "/staff/visitors",
        "/staff/calendar",
        "/staff/audit",
        "/staff/facilities",
        "/staff/facilities/new",
        "/staff/closures",
        "/staff/rules/{rule_id}/edit",
    ],
}
# Query parameters each GET page reads (by endpoint path, ids and codes as {}).
QUERY_PARAMETERS = {
    "/": [],
    "/find": ["kind", "date", "time"],
    "/facilities/{}": ["week"],
    "/staff/visitors": ["day"],
    "/staff/visitors.csv": ["day"],
    "/staff/calendar": ["week", "facility"],
    "/staff/audit": ["action", "day"],
    "/staff/checkin": ["code"],
    "/staff/search": ["q"],
    "/auth/login": ["next"],
    "/language/en": ["next"],
}
EXTRA_QUERY_PAGES = {"resident": ["/language/en"], "staff": ["/staff/visitors.csv"]}
NOT_FOLLOWED = ("/auth/logout", "/language/", "/static/")
# Sent with every POST form too: the previews' "confirm" step applies a change.
EXTRA_FIELDS = {"confirm": ["1"]}

# Hostile values by kind, so each kind comes often enough in a few dozen requests.
HOSTILE: dict[str, list[str]] = {
    "control": [
        "\x00",
        "a\x00b",
        "\x01\x02\x1b[31m",
        "\x7f",
        "\x85",
        "line\nbreak",
        "\t",
        "%00",
    ],
    "unicode": ["\ud800", "x\udfffy", "\u202eevil", "\ufeff", "报" * 3000],
    "long": ["x" * 20_000, "9" * 5000, " ", ""],
    "markup": [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        '=HYPERLINK("http://example.com","click")',
        "+1+cmd|' /C calc'!A0",
        "'; DROP TABLE bookings; --",
        "/",
        "//evil.example",
        "../../etc/passwd",
    ],
    "number": [
        "0",
        "-1",
        "-99999999999999999999",
        str(2**31),
        str(2**63),
        "1e308",
        "NaN",
        "１２",
        "²",
        "٣",
        "1_000",
    ],
    "date": [
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "２０２６-１２-０１",
        "24:00",
        "99:99",
        "23:59:59.999999",
    ],
}


@dataclass
class FormField:
    name: str
    values: list[str] = field(default_factory=list)  # its own: value, options, checkbox value
    multiple: bool = False


@dataclass
class Target:
    role: str
    method: str
    path: str
    fields: dict[str, FormField]

    @property
    def label(self) -> str:
        return f"{self.role} {self.method} {self.path}"


class PageParser(HTMLParser):
    """The page's same-site links and its forms with their fields."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[tuple[str, str, dict[str, FormField]]] = []
        self._form: tuple[str, str, dict[str, FormField]] | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def _field(self, name: str, *, multiple: bool = False) -> FormField | None:
        if self._form is None or not name:
            return None
        fields = self._form[2]
        if name not in fields:
            fields[name] = FormField(name, multiple=multiple)
        return fields[name]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = (a.get("method", "get").upper(), a.get("action", ""), {})
            self.forms.append(self._form)
        elif tag in ("input", "button") and a.get("name"):
            checkbox = a.get("type") == "checkbox"
            found = self._field(a["name"], multiple=checkbox)
            if found is not None:
                found.values.append(a.get("value", "y" if checkbox else ""))
        elif tag == "select":
            self._select = self._field(a.get("name", ""), multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._select.values.append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = self._field(a.get("name", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.values.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def template_of(path: str) -> str:
    """/facilities/12 -> /facilities/{}: what QUERY_PARAMETERS is keyed by."""
    parts = ["{}" if part.isdigit() else part for part in path.split("/")]
    return "/".join(parts)


def crawl(client: FlaskClient, role: str, seeds: list[str]) -> Iterator[Target]:
    """Every form on the pages reachable from `seeds`, and a query target per GET page."""
    queue = list(seeds) + EXTRA_QUERY_PAGES.get(role, [])
    seen: set[str] = set()
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        parameters = QUERY_PARAMETERS.get(template_of(path))
        if parameters:
            yield Target(role, "GET", path, {n: FormField(n) for n in parameters})
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
        for method, action, fields in parser.forms:
            target = urlsplit(urljoin(path, action or path)).path
            if target.startswith(NOT_FOLLOWED):
                continue
            if method == "POST":
                fields = {**{n: FormField(n, v) for n, v in EXTRA_FIELDS.items()}, **fields}
            yield Target(role, method, target, fields)
        for link in parser.links:
            parts = urlsplit(urljoin(path, link))
            if parts.netloc or parts.path.startswith(NOT_FOLLOWED) or parts.path in seen:
                continue
            queue.append(parts.path)


def encode(pairs: list[tuple[str, str]]) -> str:
    """application/x-www-form-urlencoded, with lone surrogates sent as the raw
    bytes a broken client would send (ED A0 80), not as a Python error."""
    return "&".join(
        f"{quote_plus(name)}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"
        for name, value in pairs
    )


def valid_defaults() -> dict[str, list[str]]:
    """A value each field accepts, for the fields a form renders empty, so that
    a request is refused for its hostile value, not for a missing one."""
    soon, later = local_day(20).isoformat(), local_day(60).isoformat()
    return {
        "name": ["新场馆"],
        "name_en": ["New hall"],
        "capacity": ["10"],
        "description": ["说明"],
        "entrance_notes": ["东门"],
        "valid_from": [soon],
        "valid_until": [later],
        "weekdays": ["0", "5"],
        "start_time": ["08:00"],
        "end_time": ["10:00"],
        "slot_minutes": ["60"],
        "first_day": [soon],
        "last_day": [soon],
        "note": ["考试"],
        "purpose": ["讲座"],
        "organiser": ["居委会"],
        "attendance": ["10"],
        "places": ["1"],
        "plate": ["粤S12345"],
        "accept_terms": ["y"],
        "real_name": ["李明"],
        "phone": ["13712345678"],
        "password": [PASSWORD],
        "reason": ["场地维修"],
        "code": [""],
        "advance_days": ["7"],
        "release_time": ["08:00"],
        "cancel_deadline_minutes": ["60"],
        "max_active_bookings": ["3"],
        "max_weekly_per_kind": ["2"],
        "waitlist_offer_minutes": ["30"],
    }


def values_for(target: Target, data: st.DataObject) -> list[tuple[str, str]]:
    """A valid request (the form's own values, else a default each field takes)
    with one to three of its fields made hostile, sent as random text, or left out."""
    defaults = valid_defaults()
    base: dict[str, list[str]] = {}
    for name, form_field in target.fields.items():
        own = [value for value in form_field.values if value]
        chosen = own[:1] if own and not form_field.multiple else own
        base[name] = chosen or defaults.get(name, [""])
    if "confirm" in target.fields and "password" in target.fields:  # registration
        base["confirm"] = base["password"]
    names = sorted(base)
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        how = data.draw(st.sampled_from(["hostile", "hostile", "text", "own", "absent"]))
        if how == "hostile":
            kind = data.draw(st.sampled_from(sorted(HOSTILE)))
            base[name] = [data.draw(st.sampled_from(HOSTILE[kind]))]
        elif how == "text":
            base[name] = [data.draw(st.text(st.characters(codec=None), max_size=40))]
        elif how == "own" and target.fields[name].values:
            base[name] = [data.draw(st.sampled_from(target.fields[name].values))]
        elif how == "absent":
            del base[name]
    return [(name, value) for name, values in base.items() for value in values]


def fuzz(target: Target, client: FlaskClient | None, app: Flask) -> int:
    """Send EXAMPLES_PER_TARGET hostile variants of `target`; returns how many were sent."""
    sent = 0

    @settings(
        max_examples=EXAMPLES_PER_TARGET,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(data=st.data())
    def send(data: st.DataObject) -> None:
        nonlocal sent
        pairs = values_for(target, data)
        body = encode(pairs)
        # A visitor stays one: a request that happens to sign in must not carry over.
        sender = client or app.test_client()
        sent += 1
        if target.method == "GET":
            response = sender.get(f"{target.path}?{body}")
        else:
            response = sender.post(
                target.path, data=body, content_type="application/x-www-form-urlencoded"
            )
        assert response.status_code < 500, (response.status_code, pairs)
        assert "Traceback (most recent call last)" not in response.get_data(as_text=True)

    send()
    return sent


def log_in(client: FlaskClient, phone: str) -> None:
    response = client.post("/auth/login", data={"phone": phone, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def campus(app: Flask) -> Campus:
    return build_campus(app)


@pytest.fixture
def clients(app: Flask, campus: Campus) -> dict[str, FlaskClient]:
    visitor, resident, staff = app.test_client(), app.test_client(), app.test_client()
    log_in(resident, RESIDENT_PHONE)
    log_in(staff, STAFF_PHONE)
    return {"visitor": visitor, "resident": resident, "staff": staff}


def test_no_page_answers_5xx_to_hostile_input(
    app: Flask, campus: Campus, clients: dict[str, FlaskClient], engine_name: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is a finding, checked as one
    targets: dict[str, Target] = {}
    for role, seeds in SEEDS.items():
        for target in crawl(clients[role], role, [seed.format(**vars(campus)) for seed in seeds]):
            targets.setdefault(target.label, target)
    labels = set(targets)
    # One of each kind: the same form on another facility or booking adds little.
    kinds: dict[tuple[object, ...], Target] = {}
    for target in targets.values():
        key = (target.role, target.method, template_of(target.path), frozenset(target.fields))
        kinds.setdefault(key, target)
    # The crawl must reach the forms that matter, or it fuzzes nothing of use.
    for expected in [
        f"resident POST /slots/{campus.hall_slot_id}/book",
        f"resident POST /bookings/{campus.confirmed_code}/cancel",
        f"staff POST /staff/requests/{campus.pending_code}/approve",
        f"staff POST /staff/requests/{campus.pending_code}/reject",
        f"staff POST /staff/bookings/{campus.no_show_code}/waive",
        "staff POST /staff/facilities/new",
        "staff POST /staff/closures",
        f"staff POST /staff/facilities/{campus.room_id}/policy",
        f"staff POST /staff/facilities/{campus.room_id}/rules",
        "visitor POST /auth/login",
        "visitor POST /auth/register",
        "staff GET /staff/audit",
    ]:
        assert expected in labels, f"the crawl did not find {expected}"

    requests = 0
    failures: list[str] = []
    started = time.monotonic()
    for target in kinds.values():
        try:
            client = None if target.role == "visitor" else clients[target.role]
            requests += fuzz(target, client, app)
        except Exception as error:  # every target's finding, not just the first
            failures.append(f"{target.label}: {str(error)[:1500]}")

    elapsed = time.monotonic() - started
    print(  # noqa: T201
        f"\nform fuzz on {engine_name}: {len(kinds)} targets, {requests} requests in {elapsed:.1f}s"
    )
    assert failures == [], "\n\n".join(failures)
