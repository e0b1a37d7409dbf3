"""The account page, sessions that end, and recovering a forgotten password,
through the pages."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import ApiToken, AuditEvent, Role, User
from booking.services.clock import utcnow
from booking.web.api.auth import issue_token
from tests.conftest import PASSWORD, factory_session

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PHONE = "13912345678"
NEW_PASSWORD = "a new and longer secret"


@pytest.fixture
def resident(make_user):
    return make_user(phone=PHONE, real_name="李明")


def login(client, phone=PHONE, password=PASSWORD, **extra):
    return client.post(
        "/auth/login", data={"phone": phone, "password": password, **extra}, headers=EN
    )


def signed_in(client) -> bool:
    response = client.get("/account", headers=EN)
    return response.status_code == 200


def stored(app, phone=PHONE) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.phone == phone))
        db.session.expunge(user)
        return user


def sms_codes(caplog) -> list[str]:
    return re.findall(r"code is (\d{6})", caplog.text)


# Sessions that end


def test_a_cookie_captured_before_logout_no_longer_signs_in(app, resident):
    browser = app.test_client()
    login(browser)
    captured = browser.get_cookie("session").value
    assert signed_in(browser)
    browser.post("/auth/logout")
    thief = app.test_client()
    thief.set_cookie("session", captured)
    response = thief.get("/account", headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_login_starts_a_fresh_session(client, resident):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_remember_me_is_new_at_each_login_and_lasts_30_days(app, resident, monkeypatch):
    first, second = app.test_client(), app.test_client()
    login(first, remember="y")
    login(second, remember="y")
    cookie = first.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.value != second.get_cookie("remember_token").value
    assert cookie.expires - utcnow() <= timedelta(days=30, minutes=1)
    # A browser with nothing but the remember-me cookie is signed in...
    returning = app.test_client()
    returning.set_cookie("remember_token", cookie.value)
    assert signed_in(returning)
    # ...for 30 days at most, however long the cookie was kept.
    later = utcnow() + timedelta(days=30, minutes=1)
    monkeypatch.setattr("booking.web.auth.sessions.utcnow", lambda: later)
    kept_too_long = app.test_client()
    kept_too_long.set_cookie("remember_token", cookie.value)
    assert not signed_in(kept_too_long)


def test_logout_ends_the_remember_me_cookie_too(app, resident):
    browser = app.test_client()
    login(browser, remember="y")
    remembered = browser.get_cookie("remember_token").value
    browser.post("/auth/logout")
    assert browser.get_cookie("remember_token") is None
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert not signed_in(thief)


def test_deactivating_an_account_ends_its_sessions(app, resident, runner):
    browser = app.test_client()
    login(browser, remember="y")
    result = runner.invoke(args=["users", "deactivate", "--phone", PHONE])
    assert result.exit_code == 0, result.output
    assert "Deactivated resident 139****5678" in result.output
    assert not signed_in(browser)


# The account page


def test_the_account_page_shows_profile_tokens_and_actions(client, app, resident):
    with factory_session(app) as session:
        user = session.get(User, resident.id)
        issue_token(session, user, now=utcnow())
    login(client)
    page = client.get("/account", headers=EN)
    assert page.status_code == 200
    for text in ("My account", "139****5678", "Change my password", "Sign out everywhere"):
        assert text in page.text
    assert "API tokens" in page.text
    assert "Revoke all tokens" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/account", headers=ZH).status_code == 200


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_profile_changes_email_and_language_without_touching_a_verified_name(
    client, app, make_user
):
    make_user(phone=PHONE, real_name="李明", is_verified=True)
    login(client)
    response = client.post(
        "/account",
        data={"real_name": "王芳", "email": "li@example.com", "locale": "en"},
        headers=EN,
    )
    assert response.status_code == 302
    user = stored(app)
    assert (user.real_name, user.email, user.locale) == ("李明", "li@example.com", "en")


def test_profile_refuses_a_bad_address_and_an_unknown_language(client, app, resident):
    login(client)
    response = client.post(
        "/account", data={"real_name": "李明", "email": "nope", "locale": "fr"}, headers=EN
    )
    assert response.status_code == 400
    assert "Enter an e-mail address" in response.text
    assert "Not a valid choice" in response.text
    assert stored(app).email is None


def test_the_language_switch_alone_does_not_change_the_stored_language(client, app, resident):
    client.post("/auth/login", data={"phone": PHONE, "password": PASSWORD}, headers=ZH)
    assert stored(app).locale == "zh_Hans"  # an account's first login sets its language
    client.get("/language/en", headers=ZH)
    assert stored(app).locale == "zh_Hans"


# Changing the password


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None, headers=EN):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
        headers=headers,
    )


def test_changing_the_password_signs_out_every_other_browser_and_token(app, resident):
    here, elsewhere = app.test_client(), app.test_client()
    login(here)
    login(elsewhere, remember="y")
    with factory_session(app) as session:
        raw, _token = issue_token(session, session.get(User, resident.id), now=utcnow())
    response = change(here)
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    api = app.test_client().get("/api/v1/me/bookings", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401
    fresh = app.test_client()
    assert login(fresh).status_code == 400
    assert login(fresh, password=NEW_PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "account.password_changed")
        )


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong password!", NEW_PASSWORD, None, "This is not your current password."),
        (PASSWORD, "short", None, "A password needs 10 to 128 characters."),
        (PASSWORD, "x" * 129, None, "A password needs 10 to 128 characters."),
        (PASSWORD, "qwertyuiop", None, "one of the most common ones"),
        (PASSWORD, "1234567890", None, "one of the most common ones"),
        (PASSWORD, "woaini1314", None, "one of the most common ones"),
        (PASSWORD, f"my{PHONE}", None, "cannot contain your mobile number"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords are not the same."),
        (PASSWORD, PASSWORD, None, "different from the current one"),
    ],
)
def test_a_password_change_is_refused_with_a_reason(
    client, app, resident, current, new, confirm, message
):
    login(client)
    before = stored(app).password_hash
    response = change(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.text
    assert stored(app).password_hash == before


def test_a_password_may_hold_any_character_up_to_128(client, app, resident):
    login(client)
    unusual = "密码 with spaces, ünïcödé and 🎓 " + "x" * 90
    assert len(unusual) <= 128
    assert change(client, new=unusual).status_code == 302
    assert login(app.test_client(), password=unusual).status_code == 302


def test_password_messages_in_chinese(client, resident):
    login(client)
    response = change(client, current="wrong password!", headers=ZH)
    assert "当前密码不对" in response.text


def test_the_password_rule_is_shown_before_typing(client):
    page = client.get("/auth/register", headers=EN).text
    assert "10 to 128 characters of any kind" in page


# Sign out everywhere, tokens


def test_sign_out_everywhere(app, resident):
    here, elsewhere = app.test_client(), app.test_client()
    login(here)
    login(elsewhere, remember="y")
    with factory_session(app) as session:
        raw, _token = issue_token(session, session.get(User, resident.id), now=utcnow())
    response = here.post("/account/sign-out-everywhere", headers=EN, follow_redirects=True)
    assert "You are signed out on every device" in response.text
    assert not signed_in(here)
    assert not signed_in(elsewhere)
    api = app.test_client().get("/api/v1/me/bookings", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401


def test_tokens_are_revoked_one_by_one_or_all_at_once(client, app, resident, make_user):
    other = make_user(phone="13912345679")
    with factory_session(app) as session:
        user = session.get(User, resident.id)
        first = issue_token(session, user, now=utcnow())[1]
        issue_token(session, user, now=utcnow())
        theirs = issue_token(session, session.get(User, other.id), now=utcnow())[1]
    login(client)
    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/account/tokens/99999999999999999999/revoke").status_code == 404
    assert client.post(f"/account/tokens/{first.id}/revoke").status_code == 302
    with app.app_context():
        revoked = dict(db.session.execute(sa.select(ApiToken.id, ApiToken.revoked_at)).all())
    assert revoked[first.id] is not None
    assert revoked[theirs.id] is None
    page = client.post("/account/tokens/revoke-all", headers=EN, follow_redirects=True)
    assert "1 tokens revoked." in page.text
    with app.app_context():
        live = db.session.scalars(sa.select(ApiToken.user_id).where(ApiToken.revoked_at.is_(None)))
        assert list(live) == [other.id]


# A forgotten password


def ask_reset(client, phone=PHONE, headers=EN):
    return client.post("/auth/reset", data={"phone": phone}, headers=headers)


def reset(client, code, password=NEW_PASSWORD, headers=EN):
    return client.post(
        "/auth/reset/code",
        data={"code": code, "password": password, "confirm": password},
        headers=headers,
    )


def test_a_forgotten_password_is_reset_with_the_sms_code(app, resident, caplog):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    elsewhere = app.test_client()
    login(elsewhere, remember="y")
    browser = app.test_client()
    assert "Forgot your password?" in browser.get("/auth/login", headers=EN).text
    response = ask_reset(browser)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/reset/code"
    assert PHONE not in caplog.text  # the log shows the number masked
    assert "139****5678" in caplog.text
    (code,) = sms_codes(caplog)
    page = browser.get("/auth/reset/code", headers=EN)
    assert "If 139****5678 has an account, we sent it a 6-digit code" in page.text
    response = reset(browser, code)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not signed_in(elsewhere)
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    # single use
    assert reset(browser, code, "yet another new secret").status_code in (302, 400)
    assert login(app.test_client(), password="yet another new secret").status_code == 400


def test_the_answer_is_the_same_for_an_unknown_number(app, resident, caplog):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    known, unknown = app.test_client(), app.test_client()
    first = ask_reset(known)
    second = ask_reset(unknown, phone="13900000000")
    assert (first.status_code, first.headers["Location"]) == (
        second.status_code,
        second.headers["Location"],
    )
    shown_known = known.get("/auth/reset/code", headers=EN).text
    shown_unknown = unknown.get("/auth/reset/code", headers=EN).text
    assert shown_known.replace("139****5678", "X") == shown_unknown.replace("139****0000", "X")
    assert len(sms_codes(caplog)) == 1  # nothing is sent to a number without an account
    wrong = reset(unknown, "123456")
    assert wrong.status_code == 400
    assert "This code is wrong or has expired." in wrong.text


def test_a_code_allows_five_tries_and_ten_minutes(app, resident, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    browser = app.test_client()
    ask_reset(browser)
    (code,) = sms_codes(caplog)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert reset(browser, wrong).status_code == 400
    assert reset(browser, code).status_code == 400  # spent
    # a new code, which expires after 10 minutes
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr("booking.web.auth.views.utcnow", lambda: later)
    ask_reset(browser)
    code = sms_codes(caplog)[-1]
    too_late = later + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr("booking.web.auth.views.utcnow", lambda: too_late)
    assert reset(browser, code).status_code == 400
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 400


def test_codes_are_not_sent_again_at_once(app, resident, caplog):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    browser = app.test_client()
    ask_reset(browser)
    again = ask_reset(browser)
    assert again.status_code == 429
    assert "Please wait a few minutes" in again.text
    assert len(sms_codes(caplog)) == 1


def test_a_weak_new_password_keeps_the_code(app, resident, caplog):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    browser = app.test_client()
    ask_reset(browser)
    (code,) = sms_codes(caplog)
    weak = reset(browser, code, password="1234567890")
    assert weak.status_code == 400
    assert "one of the most common ones" in weak.text
    assert reset(browser, code).status_code == 302


def test_a_reset_link_is_emailed_and_works_once(app, make_user, caplog):
    from tests.fakes import body_text, smtp_server

    make_user(phone=PHONE, email="li@example.com", locale="en")
    with smtp_server() as (port, box):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        ask_reset(app.test_client())
    (message,) = box.messages
    assert message["To"] == "li@example.com"
    assert message["Subject"] == "Reset your campus-share password"
    link = re.search(r"http://localhost(/auth/reset/\S+)", body_text(message)).group(1)
    browser = app.test_client()
    assert browser.get(link, headers=EN).status_code == 200
    done = browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    used = browser.get(link, headers=EN)
    assert used.status_code == 400
    assert "This link has expired or was already used." in used.text
    assert browser.get("/auth/reset/not-a-token", headers=EN).status_code == 400


def test_a_tencent_sms_goes_through_the_official_sdk(app, resident):
    from tests.fakes import tencent_sms_endpoint

    with tencent_sms_endpoint() as (endpoint, requests):
        app.config.update(
            SMS_PROVIDER="tencent",
            TENCENT_SECRET_ID="AKIDtest",
            TENCENT_SECRET_KEY="test-secret-key",
            TENCENT_SMS_SDK_APP_ID="1400000000",
            TENCENT_SMS_SIGN_NAME="南城教育",
            TENCENT_SMS_TEMPLATE_ID="123456",
            TENCENT_SMS_ENDPOINT=endpoint,
        )
        browser = app.test_client()
        assert ask_reset(browser).status_code == 302
    (sent,) = requests
    body, headers = sent["body"], sent["headers"]
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    assert body["PhoneNumberSet"] == [f"+86{PHONE}"]
    assert body["SmsSdkAppId"] == "1400000000"
    assert body["TemplateId"] == "123456"
    code, minutes = body["TemplateParamSet"]
    assert minutes == "10"
    assert reset(browser, code).status_code == 302


# Registration that proves the number


def registration(**changes):
    form = {
        "real_name": "李明",
        "phone": PHONE,
        "password": PASSWORD,
        "confirm": PASSWORD,
        "email": "",
        "id_number": "",
        "accept_privacy": "y",
        "privacy_version": "1",
    }
    form.update(changes)
    return form


def test_registration_verifies_the_number_by_sms_when_asked(client, app, caplog):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    app.config["SMS_VERIFY_REGISTRATION"] = True
    page = client.post("/auth/register", data=registration(action="send_code"), headers=EN)
    assert page.status_code == 200
    assert "We sent a 6-digit code to 139****5678." in page.text
    (code,) = sms_codes(caplog)
    wrong = client.post("/auth/register", data=registration(sms_code="000000"), headers=EN)
    assert wrong.status_code == 400
    assert "This code is wrong or has expired." in wrong.text
    assert client.post("/auth/register", data=registration(sms_code=code)).status_code == 302
    assert stored(app).real_name == "李明"


def test_registration_keeps_the_page_the_resident_came_from(client, app):
    response = client.post(
        "/auth/register", query_string={"next": "/facilities/3"}, data=registration()
    )
    assert response.headers["Location"] == "/facilities/3"
    login_page = app.test_client().get("/auth/login", query_string={"next": "/facilities/3"})
    assert 'href="/auth/register?next=/facilities/3"' in login_page.text
    # The header's Register link comes back to the page it was followed from.
    facility_page = app.test_client().get("/find")
    assert 'href="/auth/register?next=/find"' in facility_page.text


# Deleting the account


def test_staff_cannot_delete_their_account_themselves(client, app, make_school, make_user):
    make_user(Role.STAFF, school=make_school(), phone=PHONE)
    login(client)
    page = client.get("/account/delete", headers=EN)
    assert "deactivated by the district administrator" in page.text
    client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})
    assert stored(app).erased_at is None


def test_deleting_needs_the_password_and_the_tick(client, app, resident):
    login(client)
    for data in ({"password": "wrong password!", "understood": "y"}, {"password": PASSWORD}):
        response = client.post("/account/delete", data=data, headers=EN)
        assert response.status_code == 400
    assert stored(app).erased_at is None
