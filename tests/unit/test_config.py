import pytest

from booking import UnsafeConfiguration, create_app
from config import (
    DEFAULT_SECRET_KEY,
    Config,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    public_url_settings,
)

GOOD_SECRET = "x" * 40
SAFE = {
    "SECRET_KEY": GOOD_SECRET,
    "SQLALCHEMY_DATABASE_URI": "postgresql://db/x",
    "BOOKING_TIMEZONE": "Asia/Shanghai",
    "PUBLIC_URL": "https://share.nancheng.edu.cn",
    "RATELIMIT_STORAGE_URI": "redis://localhost:6379/0",
    "SMS_PROVIDER": "tencent",
    "TENCENT_SECRET_ID": "AKID",
    "TENCENT_SECRET_KEY": "key",
    "TENCENT_SMS_SDK_APP_ID": "1400000000",
    "TENCENT_SMS_SIGN_NAME": "南城教育",
    "TENCENT_SMS_TEMPLATE_ID": "123456",
}


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"SECRET_KEY": DEFAULT_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": "postgresql://x"},
            "SECRET_KEY",
        ),
        ({"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": "postgresql://x"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite:///x"}, "SQLite"),
    ],
)
def test_production_refuses_unsafe_settings(settings, problem):
    problems = ProductionConfig.validate({**SAFE, **settings})
    assert len(problems) == 1
    assert problem in problems[0]


def test_an_unknown_timezone_is_refused_in_every_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(
        UnsafeConfiguration, match="BOOKING_TIMEZONE='Mars/Base' is not a known timezone"
    ):
        create_app({"BOOKING_TIMEZONE": "Mars/Base"})


def test_production_accepts_safe_settings():
    assert ProductionConfig.validate(SAFE) == []
    allowed = {
        **SAFE,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///x",
        "ALLOW_SQLITE_IN_PRODUCTION": True,
    }
    assert ProductionConfig.validate(allowed) == []


def test_production_app_says_why_it_will_not_start(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "production")
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", DEFAULT_SECRET_KEY)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", None)
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY.*SQLite"):
        create_app()


def test_unknown_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "staging")
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(UnsafeConfiguration, match="staging"):
        create_app()


def test_development_keeps_a_generated_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "development")
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    assert first != DEFAULT_SECRET_KEY
    assert create_app().config["SECRET_KEY"] == first
    assert create_app().config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///" + str(tmp_path))


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"PUBLIC_URL": None}, "PUBLIC_URL must be set"),
        ({"PUBLIC_URL": ""}, "PUBLIC_URL must be set"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI is memory://"),
        ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI is memory://"),
    ],
)
def test_production_refuses_what_does_not_hold_across_workers_and_hosts(settings, problem):
    problems = ProductionConfig.validate({**SAFE, **settings})
    assert len(problems) == 1
    assert problem in problems[0]


def test_production_allows_memory_rate_limits_only_when_told_or_when_limits_are_off():
    memory = {**SAFE, "RATELIMIT_STORAGE_URI": "memory://"}
    assert ProductionConfig.validate({**memory, "ALLOW_MEMORY_RATELIMIT_IN_PRODUCTION": True}) == []
    assert ProductionConfig.validate({**memory, "RATELIMIT_ENABLED": False}) == []


@pytest.mark.parametrize("config", [Config, ProductionConfig])
@pytest.mark.parametrize(
    "public_url",
    [
        "share.nancheng.edu.cn",  # no scheme
        "ftp://share.nancheng.edu.cn",
        "https://",
        "https://share.nancheng.edu.cn/booking",  # a path is not supported
        "https://share.nancheng.edu.cn/?x=1",
        "https://user@share.nancheng.edu.cn",
    ],
)
def test_a_malformed_public_url_is_refused_in_every_environment(config, public_url):
    problems = config.validate({**SAFE, "PUBLIC_URL": public_url})
    assert len(problems) == 1
    assert "PUBLIC_URL=" in problems[0]


@pytest.mark.parametrize(
    ("public_url", "server_name", "scheme"),
    [
        ("https://share.nancheng.edu.cn", "share.nancheng.edu.cn", "https"),
        ("https://Share.Nancheng.edu.cn/", "share.nancheng.edu.cn", "https"),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "http"),
    ],
)
def test_public_url_gives_the_server_name_and_scheme(public_url, server_name, scheme):
    assert Config.validate({**SAFE, "PUBLIC_URL": public_url}) == []
    assert public_url_settings(public_url) == {
        "SERVER_NAME": server_name,
        "PREFERRED_URL_SCHEME": scheme,
    }


@pytest.mark.parametrize("proxies", [-1, "two", True])
def test_trusted_proxies_must_be_a_count(proxies):
    problems = Config.validate({**SAFE, "TRUSTED_PROXIES": proxies})
    assert problems == ["TRUSTED_PROXIES must be the number of proxies in front (0 or more)."]


def test_hsts_is_sent_by_production_only():
    assert ProductionConfig.HSTS_SECONDS == 365 * 24 * 3600
    assert DevelopmentConfig.HSTS_SECONDS == 0
    assert TestingConfig.HSTS_SECONDS == 0


def test_booking_env_testing_is_refused_outside_the_test_suite(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "testing")
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(UnsafeConfiguration, match="BOOKING_ENV=testing is only for the test suite"):
        create_app()
    # The suite passes its settings to create_app, whatever the environment says.
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert app.config["TESTING"] is True


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"SMS_PROVIDER": "console"}, "SMS_PROVIDER=console only writes codes to the log"),
        ({"SMS_PROVIDER": "carrier-pigeon"}, "SMS_PROVIDER='carrier-pigeon' is not one of"),
        ({"TENCENT_SECRET_KEY": ""}, "SMS_PROVIDER=tencent needs TENCENT_SECRET_KEY."),
    ],
)
def test_production_refuses_sms_that_cannot_reach_residents(settings, problem):
    problems = ProductionConfig.validate({**SAFE, **settings})
    assert len(problems) == 1
    assert problem in problems[0]


def test_console_sms_is_allowed_in_production_only_when_told():
    told = {**SAFE, "SMS_PROVIDER": "console", "ALLOW_CONSOLE_SMS": True}
    assert ProductionConfig.validate(told) == []
    assert DevelopmentConfig.validate({**SAFE, "SMS_PROVIDER": "console"}) == []
