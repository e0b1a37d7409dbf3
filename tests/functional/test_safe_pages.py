"""Safe pages: the headers every response carries, what caches may keep, exports
that open safely in a spreadsheet, links that never take their host from the
request, body limits, and the client's address behind a proxy."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import request
from markupsafe import Markup

from booking import create_app
from booking.extensions import client_address, db
from booking.models import Booking, BookingStatus, FacilityKind, Role, Slot, User
from booking.services.clock import utcnow
from booking.web.downloads import csv_download, download
from config import ProductionConfig
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
STAFF_PHONE = "13900000001"
RESIDENT_PHONE = "13700000001"
PUBLIC_URL = "https://share.nancheng.edu.cn"

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def csp_of(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


def assert_safe_headers(response) -> None:
    assert csp_of(response) == EXPECTED_CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # production only


def login(client, phone, **headers):
    response = client.post(
        "/auth/login", data={"phone": phone, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 302
    return response


def add_visitor(app, facility, resident, code, *, start_in=timedelta(hours=1)):
    """A confirmed booking of `resident` in a new slot of `facility`, starting soon."""
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        slot = Slot(
            facility_id=facility.id,
            starts_at=now + start_in,
            ends_at=now + start_in + timedelta(hours=2),
            opens_at=now - timedelta(days=1),
            capacity=facility.capacity,
            held=1,
        )
        db.session.add(slot)
        db.session.flush()
        db.session.add(
            Booking(
                code=code,
                slot_id=slot.id,
                resident_id=resident.id,
                places=1,
                status=BookingStatus.CONFIRMED,
            )
        )
        db.session.commit()


@pytest.fixture
def school(app, make_school, make_facility, make_user):
    school = make_school(code="NC-SAFE")
    reading = make_facility(school, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=40)
    make_user(Role.STAFF, school=school, phone=STAFF_PHONE)
    resident = make_user(phone=RESIDENT_PHONE, real_name="李明")
    add_visitor(app, reading, resident, "SAFE01")
    return {"school": school, "reading": reading, "resident": resident}


def bare_app(tmp_path, monkeypatch, **settings):
    """An app on an empty SQLite file, for what touches no table."""
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bare.sqlite'}", **settings}
    )


# --- The visitor CSV ----------------------------------------------------------

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil","x")',
    "+86 123",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://evil","x")',  # full-width, as a Chinese input method types it
]
ORDINARY_NAMES = ["王小明", "Anne-Marie O'Neil", "李 四", "1+1 俱乐部", "a=b"]


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the BOM as UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_hostile_names_come_out_of_the_visitor_csv_inert(app, client, school, make_user):
    codes = {}
    for n, name in enumerate(HOSTILE_NAMES + ORDINARY_NAMES):
        resident = make_user(phone=f"1360000{n:04d}", real_name=name)
        codes[f"CSV{n:03d}"] = name
        later = timedelta(hours=1, minutes=n + 1)
        add_visitor(app, school["reading"], resident, f"CSV{n:03d}", start_in=later)
    login(client, STAFF_PHONE)
    response = client.get("/staff/visitors.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    name_column = rows[0].index("姓名") if "姓名" in rows[0] else rows[0].index("Name")
    names = {row[-2]: row[name_column] for row in rows[1:]}
    for code, name in codes.items():
        if name in HOSTILE_NAMES:
            assert names[code] == "'" + name, name
        else:
            assert names[code] == name, name
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), row


def test_every_download_says_no_store_itself(tmp_path, monkeypatch):
    """Whichever page hands a file out, signed in or not, no cache keeps it."""
    app = bare_app(tmp_path, monkeypatch)
    with app.test_request_context():
        csv_file = csv_download([["Name"], ["=1+1"]], "x.csv")
        ics_file = download(b"BEGIN:VCALENDAR", "text/calendar", "x.ics")
    for response in (csv_file, ics_file):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    assert csv_file.get_data(as_text=True) == "\ufeffName\r\n'=1+1\r\n"


# --- Headers on every response ------------------------------------------------


def test_every_kind_of_response_carries_the_security_headers(client, school):
    facility = school["reading"].id
    anonymous = {
        "/": 200,
        "/schools/NC-SAFE": 200,
        f"/facilities/{facility}": 200,
        "/find": 200,
        "/auth/login": 200,
        "/health": 200,
        "/no/such/page": 404,
        "/find?date=not-a-date": 400,
        "/api/v1/schools": 200,
        "/api/v1/no/such/thing": 404,
        "/api/v1/me/bookings": 401,
        "/static/css/app.css": 200,
    }
    for path, status in anonymous.items():
        with client.get(path, headers=EN) as response:
            assert response.status_code == status, path
            assert_safe_headers(response)

    login(client, STAFF_PHONE)
    for path, status in {
        "/staff/": 200,
        "/staff/checkin/SAFE01": 200,
        "/staff/visitors.csv": 200,
        "/staff/visitors?day=31/12": 400,
        "/bookings/SAFE01": 403,  # residents only
    }.items():
        response = client.get(path, headers=EN)
        assert response.status_code == status, path
        assert_safe_headers(response)


def test_a_500_page_carries_the_headers_too(tmp_path, monkeypatch):
    app = bare_app(tmp_path, monkeypatch, PROPAGATE_EXCEPTIONS=False)

    @app.route("/broken")
    def broken():
        raise RuntimeError("a bug")

    response = app.test_client().get("/broken", headers=EN)
    assert response.status_code == 500
    assert_safe_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_no_other_site_may_frame_the_staff_buttons(client, school):
    login(client, STAFF_PHONE)
    page = client.get("/staff/checkin/SAFE01", headers=EN)
    assert page.status_code == 200
    assert '<form method="post"' in page.text  # the check-in button
    assert csp_of(page)["frame-ancestors"] == ["'none'"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_production_sends_hsts_and_nothing_else_does(tmp_path, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "p" * 40)
    monkeypatch.setattr(
        ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'prod.sqlite'}"
    )
    monkeypatch.setattr(ProductionConfig, "ALLOW_SQLITE_IN_PRODUCTION", True)
    monkeypatch.setattr(ProductionConfig, "PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setattr(ProductionConfig, "ALLOW_MEMORY_RATELIMIT_IN_PRODUCTION", True)
    monkeypatch.setattr(ProductionConfig, "ALLOW_CONSOLE_SMS", True)
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    for env, hsts in [("production", "max-age=31536000"), ("development", None)]:
        monkeypatch.setenv("BOOKING_ENV", env)
        response = create_app().test_client().get("/health")
        assert response.status_code == 200
        assert response.headers.get("Strict-Transport-Security") == hsts, env
        assert csp_of(response) == EXPECTED_CSP


# --- What caches may keep -----------------------------------------------------


def test_anonymous_public_pages_are_revalidated_and_the_rest_never_stored(client, school):
    facility = school["reading"].id
    for path in ["/", "/schools/NC-SAFE", f"/facilities/{facility}", "/find"]:
        assert client.get(path).headers["Cache-Control"] == "no-cache", path
    for path in ["/auth/login", "/auth/register", "/api/v1/schools", "/no/such/page"]:
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    refused = client.post("/auth/login", data={"phone": RESIDENT_PHONE, "password": "wrong"})
    assert refused.headers["Cache-Control"] == "no-store"


def test_every_page_and_export_of_a_signed_in_user_is_never_stored(client, school):
    facility = school["reading"].id
    login(client, RESIDENT_PHONE)
    for path in [
        "/",
        "/schools/NC-SAFE",
        f"/facilities/{facility}",
        "/find",
        "/me/bookings",
        "/notices",
        "/bookings/SAFE01",
        "/bookings/SAFE01/calendar.ics",
        "/api/v1/me/bookings",
        "/language/en",
    ]:
        response = client.get(path)
        assert response.status_code in {200, 302}, path
        assert response.headers["Cache-Control"] == "no-store", path
    client.post("/auth/logout")

    login(client, STAFF_PHONE)
    for path in ["/staff/", "/staff/visitors", "/staff/visitors.csv", "/staff/checkin/SAFE01"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_static_files_keep_their_own_caching(client, school):
    with client.get("/static/css/app.css") as response:
        anonymous = response.headers.get("Cache-Control")
    login(client, RESIDENT_PHONE)
    with client.get("/static/css/app.css") as signed_in:
        assert signed_in.status_code == 200
        assert signed_in.headers.get("Cache-Control") == anonymous
        assert signed_in.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in (anonymous or "")


# --- Links never take their host from the request ------------------------------


class TestPublicUrl:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "PUBLIC_URL": PUBLIC_URL}

    @pytest.fixture
    def qr_data(self, monkeypatch):
        """What the booking page's QR code holds, shown as text."""
        from booking.web.residents import views

        monkeypatch.setattr(
            views, "qr_svg", lambda data: Markup('<p class="qr-data">{}</p>').format(data)
        )

    @pytest.mark.parametrize(
        "host", ["evil.example", "evil.example:8443", "share.nancheng.edu.cn.evil.example"]
    )
    def test_a_forged_host_never_reaches_the_qr_code(self, client, school, qr_data, host):
        login(client, RESIDENT_PHONE, Host=host)  # the test client keeps cookies per host
        page = client.get("/bookings/SAFE01", headers={"Host": host, **EN})
        assert page.status_code == 200
        assert f'<p class="qr-data">{PUBLIC_URL}/staff/checkin/SAFE01</p>' in page.text
        assert "evil" not in page.text

    def test_links_outside_a_request_use_the_public_url(self, app, school):
        from booking.web.residents.views import checkin_url

        with app.app_context():
            booking = db.session.scalar(sa.select(Booking).where(Booking.code == "SAFE01"))
            assert checkin_url(booking) == f"{PUBLIC_URL}/staff/checkin/SAFE01"

    @pytest.mark.parametrize(
        "host", ["", "evil.example/<script>", "[::1", "a b", "x" * 300, "évil.example", "..."]
    )
    def test_a_malformed_host_is_no_500(self, client, school, host):
        for path in ["/", "/no/such/page", "/api/v1/schools"]:
            response = client.get(path, headers={"Host": host})
            assert response.status_code < 500, (host, path)
            assert_safe_headers(response)


def test_trusted_hosts_refuse_others_with_a_400_in_the_visitors_language(tmp_path, monkeypatch):
    app = bare_app(
        tmp_path, monkeypatch, PUBLIC_URL=PUBLIC_URL, TRUSTED_HOSTS=["share.nancheng.edu.cn"]
    )
    client = app.test_client()
    assert client.get("/health", headers={"Host": "share.nancheng.edu.cn"}).status_code == 200
    page = client.get("/health", headers={"Host": "evil.example", **EN})
    assert page.status_code == 400
    assert page.text.strip() == "This site does not answer to this address."
    assert_safe_headers(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/", headers={"Host": "evil.example", **ZH}).text.strip() == (
        "本网站不接受通过这个地址访问。"
    )
    api = client.get("/api/v1/schools", headers={"Host": "evil.example", **EN})
    assert api.status_code == 400
    assert api.json == {
        "error": {"code": "bad_host", "message": "This site does not answer to this address."}
    }


# --- Body limits --------------------------------------------------------------


def test_a_too_large_body_gets_a_clear_413_in_the_visitors_language(client, school):
    too_large = "x" * (1024 * 1024 + 1)
    page = client.post("/auth/login", data={"phone": too_large}, headers=EN)
    assert page.status_code == 413
    assert "What you sent is too large for this site. Nothing was saved." in page.text
    assert_safe_headers(page)
    chinese = client.post("/auth/login", data={"phone": too_large}, headers=ZH)
    assert chinese.status_code == 413
    assert "提交的内容太大" in chinese.text
    api = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"phone": RESIDENT_PHONE, "password": too_large}),
        content_type="application/json",
        headers=EN,
    )
    assert api.status_code == 413
    assert api.json == {
        "error": {
            "code": "too_large",
            "message": "What you sent is too large for this site. Nothing was saved.",
        }
    }


def test_one_form_field_over_the_form_memory_limit_gets_413(client, school):
    field = "x" * 600_000  # under MAX_CONTENT_LENGTH, over MAX_FORM_MEMORY_SIZE
    body = (
        f'--b\r\nContent-Disposition: form-data; name="phone"\r\n\r\n{field}\r\n--b--\r\n'
    ).encode()
    page = client.post(
        "/auth/login", data=body, content_type="multipart/form-data; boundary=b", headers=EN
    )
    assert page.status_code == 413
    assert "too large" in page.text


# --- The client's address behind proxies ---------------------------------------


def address_app(tmp_path, monkeypatch, **settings):
    app = bare_app(tmp_path, monkeypatch, **settings)

    @app.route("/whoami")
    def whoami():
        return {"address": client_address(), "scheme": request.scheme}

    return app.test_client()


FORWARDED = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https"}


def test_one_trusted_proxy_makes_the_forwarded_address_the_clients(tmp_path, monkeypatch):
    client = address_app(tmp_path, monkeypatch, TRUSTED_PROXIES=1)
    # The proxy appends what it saw; what the client claimed before that is not trusted.
    assert client.get("/whoami", headers=FORWARDED).json == {
        "address": "203.0.113.7",
        "scheme": "https",
    }
    assert client.get("/whoami").json["address"] == "127.0.0.1"


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path, monkeypatch):
    client = address_app(tmp_path, monkeypatch)
    assert client.get("/whoami", headers=FORWARDED).json == {
        "address": "127.0.0.1",
        "scheme": "http",
    }


# --- The language switch ------------------------------------------------------


def test_the_language_switch_sets_a_cookie_and_changes_nothing_stored(app, client, school):
    login(client, RESIDENT_PHONE)
    with app.app_context():
        before = db.session.scalar(sa.select(User.locale).where(User.phone == RESIDENT_PHONE))
    response = client.get("/language/en", query_string={"next": "/me/bookings"})
    assert response.status_code == 302
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/me/bookings", headers=ZH).text
    with app.app_context():
        after = db.session.scalar(sa.select(User.locale).where(User.phone == RESIDENT_PHONE))
    assert after == before != "en"


def test_pages_are_compressed_for_browsers_that_ask(client):
    plain = client.get("/", headers=EN)
    packed = client.get("/", headers={**EN, "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    import gzip

    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < 0.5 * len(plain.data)


def test_static_files_have_versioned_urls_kept_a_year(client):
    page = client.get("/", headers=EN).text
    found = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', page)
    assert found, "the stylesheet's URL carries its version"

    def cache_control(url):
        response = client.get(url)
        response.close()  # a file response: let go of the file
        assert response.status_code == 200
        return response.headers.get("Cache-Control", "")

    assert cache_control(found.group(1)) == "public, max-age=31536000, immutable"
    # an old page's URL, or none: the browser revalidates
    assert "max-age=31536000" not in cache_control("/static/css/app.css?v=000000000000")
    assert "max-age=31536000" not in cache_control("/static/css/app.css")


def test_each_request_is_one_json_log_line_without_personal_data(client, caplog, make_user):
    import json
    import logging

    caplog.set_level(logging.INFO, logger="booking.request")
    make_user(phone="13712345678", real_name="李明")
    client.post("/auth/login", data={"phone": "13712345678", "password": "wrong password"})
    client.get("/find?area=13712345678", headers={"X-Request-ID": "edge-42"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "booking.request"]
    assert [line["route"] for line in lines] == ["/auth/login", "/find"]
    assert lines[1]["request_id"] == "edge-42"
    assert {"method", "status", "duration_ms"} <= set(lines[0])
    assert "13712345678" not in caplog.text
    assert "李明" not in caplog.text


def test_the_development_servers_access_log_drops_query_strings():
    import logging

    from booking.web.request_log import NoQueryStrings

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        ("GET /staff/search?q=13712345678 HTTP/1.1", "200", "-"),
        None,
    )
    NoQueryStrings().filter(record)
    assert "13712345678" not in record.getMessage()
    assert "/staff/search?" in record.getMessage()


def metric(client, name, **labels):
    text = client.get("/metrics").text
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    found = re.search(rf"^{name}\{{{re.escape(wanted)}\}} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_and_bookings_for_the_monitoring_network_only(client):
    before = metric(client, "campus_requests_total", method="GET", route="/find", status="200")
    refused = metric(client, "campus_bookings_total", outcome="not_found")
    client.get("/find", headers=EN)
    client.get("/find", headers=EN)
    after = metric(client, "campus_requests_total", method="GET", route="/find", status="200")
    assert after == before + 2
    from booking.extensions import db
    from booking.models import Role
    from booking.services import bookings
    from booking.services.booking_form import BookingRequest
    from booking.services.clock import utcnow
    from booking.services.errors import DomainError

    with client.application.app_context():
        from booking.models import User

        resident = User(role=Role.RESIDENT, real_name="甲", phone="13711112222", password_hash="!")
        db.session.add(resident)
        db.session.flush()
        with pytest.raises(DomainError):
            bookings.book(db.session, 999999, resident, BookingRequest(places=1), now=utcnow())
        db.session.rollback()
    assert metric(client, "campus_bookings_total", outcome="not_found") == refused + 1
    assert "campus_request_seconds_bucket" in client.get("/metrics").text
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert outside.status_code == 404
