"""Registering, logging in and out, through the pages."""

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Role, User
from tests.conftest import PASSWORD

VALID_ID = "11010519491231002X"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def registration(**changes):
    form = {
        "real_name": "李明",
        "phone": "13912345678",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "email": "",
        "id_number": "",
        "accept_privacy": "y",
        "privacy_version": "1",
    }
    form.update(changes)
    return form


def user_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_register_creates_a_resident_and_logs_in(client, app):
    response = client.post(
        "/auth/register",
        data=registration(id_number="110105194912310021"[:17] + "X", email="li@example.com"),
        headers=EN,
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Welcome, 李明" in response.text
    assert "Log out" in response.text
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.phone == "13912345678"))
        assert user.role == Role.RESIDENT
        assert user.email == "li@example.com"
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in user.password_hash
        assert user.id_number_masked == "110***********002X"
        assert VALID_ID not in (user.id_number_hash or "")
        assert not user.is_verified


def test_register_accepts_a_number_written_with_prefix_and_spaces(client, app):
    client.post("/auth/register", data=registration(phone="+86 139 1234 5678"))
    with app.app_context():
        assert db.session.scalar(sa.select(User.phone)) == "13912345678"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "1391234567"}, "Enter an 11-digit mainland mobile number"),
        ({"phone": "23912345678"}, "Enter an 11-digit mainland mobile number"),
        ({"phone": ""}, "Enter your mobile number."),
        ({"password": "short", "confirm": "short"}, "A password needs 10 to 128 characters."),
        ({"confirm": PASSWORD + "!"}, "The two passwords are not the same."),
        ({"id_number": "110105194912310021"}, "last character does not match"),
        ({"id_number": "12345"}, "An ID number has 18 characters"),
        ({"real_name": "李" * 51}, "A name can be at most 50 characters."),
        ({"real_name": "   "}, "Enter your real name."),
        ({"email": "not-an-address"}, "Enter an e-mail address"),
    ],
)
def test_register_refuses_bad_input(client, app, changes, message):
    response = client.post("/auth/register", data=registration(**changes), headers=EN)
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert user_count(app) == 0


def test_register_refuses_a_taken_number(client, app, make_user):
    make_user(phone="13912345678")
    response = client.post("/auth/register", data=registration(), headers=EN)
    assert response.status_code == 409
    assert "This mobile number is already registered." in response.text
    assert user_count(app) == 1


def test_register_refuses_an_id_number_used_by_another_account(client, app):
    client.post("/auth/register", data=registration(id_number=VALID_ID))
    client.post("/auth/logout")
    response = client.post(
        "/auth/register", data=registration(phone="13912345679", id_number=VALID_ID), headers=EN
    )
    assert response.status_code == 409
    assert "This ID number is already registered" in response.text
    assert user_count(app) == 1


def test_form_fields_carry_no_empty_attributes(client):
    page = client.get("/auth/register", headers=EN).text
    assert '="None"' not in page
    assert 'aria-describedby="id_number-help"' in page
    invalid = client.post("/auth/register", data=registration(phone="1"), headers=EN).text
    assert 'aria-describedby="phone-error"' in invalid


def test_messages_follow_the_page_language(client, app):
    response = client.post("/auth/register", data=registration(phone="123"), headers=ZH)
    assert response.status_code == 400
    assert "请输入 11 位大陆手机号码" in response.text


def test_register_without_csrf_token_stores_nothing(client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/auth/register", data=registration(), headers=EN)
    assert response.status_code == 400
    assert "This form has expired or was not sent from this site" in response.text
    assert user_count(app) == 0


def test_login_by_phone_and_password(client, app, make_user, auth):
    make_user(phone="13912345678")
    response = auth.login("13912345678")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/", headers=EN)
    assert "Log out" in page.text


@pytest.mark.parametrize(
    ("phone", "password"), [("13912345678", "wrong password!"), ("13900000000", PASSWORD)]
)
def test_login_failure_does_not_tell_whether_the_number_is_registered(
    client, app, make_user, phone, password
):
    make_user(phone="13912345678")
    response = client.post("/auth/login", data={"phone": phone, "password": password}, headers=EN)
    assert response.status_code == 400
    assert "Wrong mobile number or password." in response.text
    assert "Log out" not in response.text


def test_deactivated_accounts_cannot_log_in(client, app, make_user, auth):
    make_user(phone="13912345678", is_active_account=False)
    response = client.post(
        "/auth/login", data={"phone": "13912345678", "password": PASSWORD}, headers=EN
    )
    assert response.status_code == 400
    assert "Wrong mobile number or password." in response.text


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/schools/S001", "/schools/S001"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_redirects_only_within_the_site(client, app, make_user, next_url, landing):
    make_user(phone="13912345678")
    response = client.post(
        "/auth/login",
        query_string={"next": next_url},
        data={"phone": "13912345678", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_logout(client, app, make_user, auth):
    make_user(phone="13912345678")
    auth.login("13912345678")
    response = auth.logout()
    assert response.status_code == 302
    assert "Log out" not in client.get("/", headers=EN).text


def test_logout_needs_post(client):
    assert client.get("/auth/logout").status_code == 405


def test_login_attempts_are_rate_limited(database_url, tmp_path, monkeypatch):
    from booking import create_app

    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": "3 per minute",
        }
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    attempt = {"phone": "13912345678", "password": "wrong password!"}
    statuses = [client.post("/auth/login", data=attempt, headers=EN).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    page = client.post("/auth/login", data=attempt, headers=EN)
    assert "Too many attempts" in page.text
    assert 0 < int(page.headers["Retry-After"]) <= 60  # the limiter counts the seconds left
    assert client.get("/auth/login").status_code == 200  # reading the page is not limited
    with app.app_context():
        db.engine.dispose()


def test_registering_asks_for_the_privacy_notice_and_records_the_version(client, app):
    page = client.get("/auth/register?next=/slots/7/book", headers=EN).text
    assert "Privacy notice (version 1)" in page
    assert "How long:" in page  # what is collected, why and for how long, before accepting
    assert 'name="privacy_version" type="hidden" value="1"' in page
    refused = client.post(
        "/auth/register?next=/slots/7/book",
        data=registration(accept_privacy="", privacy_version="1"),
        headers=EN,
    )
    assert refused.status_code == 400
    assert "Read and accept the privacy notice to register." in refused.text
    assert user_count(app) == 0
    done = client.post("/auth/register?next=/slots/7/book", data=registration(), headers=EN)
    assert done.headers["Location"] == "/slots/7/book"  # the slot they wanted
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.privacy_version == 1
        assert user.privacy_accepted_at is not None


def test_a_new_privacy_version_must_be_the_one_accepted(client, app, make_user, auth):
    make_user(Role.ADMIN, phone="13800000000")
    auth.login("13800000000")
    shown = client.get("/admin/privacy", headers=EN).text
    assert "Version 1, the text campus-share comes with, is in force." in shown
    published = client.post(
        "/admin/privacy",
        data={"body": "新的隐私声明：我们保存……", "body_en": "The new notice: we keep..."},
        headers=EN,
        follow_redirects=True,
    )
    assert "Version 2 of the privacy notice is published." in published.text
    assert "The new notice: we keep..." in client.get("/privacy", headers=EN).text
    client.post("/auth/logout")
    stale = client.post("/auth/register", data=registration(), headers=EN)  # read version 1
    assert stale.status_code == 400
    assert "The privacy notice has changed since you opened the page" in stale.text
    assert 'name="privacy_version" type="hidden" value="2"' in stale.text
    assert user_count(app) == 1
    api = client.post(
        "/api/v1/auth/register",
        json={"real_name": "李明", "phone": "13912345678", "password": PASSWORD},
        headers=EN,
    )
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "privacy_not_accepted"
    notice = client.get("/api/v1/privacy", headers=EN).get_json()
    assert (notice["version"], notice["language"]) == (2, "en")
    accepted = client.post(
        "/api/v1/auth/register",
        json={
            "real_name": "李明",
            "phone": "13912345678",
            "password": PASSWORD,
            "privacy_version": 2,
        },
        headers=EN,
    )
    assert accepted.status_code == 201
