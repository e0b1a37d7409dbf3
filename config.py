"""Configuration classes; the environment picks the database and the secrets.

`create_app` chooses a class from `FLASK_ENV`-free settings: `BOOKING_ENV`
(development, production) or the `test_config` passed by the tests.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import available_timezones

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 (recognised and refused in production)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    if not value.strip().isdigit():
        raise ValueError(f"{name}={value!r} must be a whole number of 0 or more.")
    return int(value)


def _names(name: str) -> list[str] | None:
    """A comma-separated list; None when unset or empty."""
    names = [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]
    return names or None


def public_url_settings(public_url: object) -> dict[str, str]:
    """SERVER_NAME and PREFERRED_URL_SCHEME from PUBLIC_URL; empty when it is unset or
    malformed (validate() says what is wrong with it)."""
    if not public_url:
        return {}
    parts = urlsplit(str(public_url))
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return {}
    if parts.path not in {"", "/"} or parts.query or parts.fragment or "@" in parts.netloc:
        return {}
    return {"SERVER_NAME": parts.netloc.lower(), "PREFERRED_URL_SCHEME": parts.scheme}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    # The ID-number hash key; defaults to one derived from SECRET_KEY.
    ID_HASH_KEY = os.environ.get("ID_HASH_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}
    BOOKING_TIMEZONE = os.environ.get("BOOKING_TIMEZONE", "Asia/Shanghai")
    BOOKING_SCHEDULER = _flag("BOOKING_SCHEDULER", True)
    ALLOW_SQLITE_IN_PRODUCTION = _flag("ALLOW_SQLITE_IN_PRODUCTION", False)
    LANGUAGES = ("zh_Hans", "en")
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "booking" / "translations")
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # and never longer: see web/auth/sessions.py
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Text messages (verification codes): "console" writes them to the log, "tencent" sends
    # them with Tencent Cloud SMS.
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console")
    # Registration proves the mobile number with an SMS code (on by default in production).
    SMS_VERIFY_REGISTRATION = _flag("SMS_VERIFY_REGISTRATION", False)
    TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "")
    TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "")
    TENCENT_SMS_SDK_APP_ID = os.environ.get("TENCENT_SMS_SDK_APP_ID", "")
    TENCENT_SMS_SIGN_NAME = os.environ.get("TENCENT_SMS_SIGN_NAME", "")
    TENCENT_SMS_TEMPLATE_ID = os.environ.get("TENCENT_SMS_TEMPLATE_ID", "")
    # Flask-Compress: whole responses only; static files and streams are nginx's to compress.
    COMPRESS_STREAMS = False
    # Days after a visit before it is detached from its resident (plates and names erased).
    RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "180"))
    # Text the notices that cannot wait (a waitlist offer, a release asked for) as well.
    SMS_NOTICES = _flag("SMS_NOTICES", False)
    TENCENT_SMS_NOTICE_TEMPLATE_ID = os.environ.get("TENCENT_SMS_NOTICE_TEMPLATE_ID", "")
    TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
    TENCENT_SMS_ENDPOINT = os.environ.get("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com")
    ALLOW_CONSOLE_SMS = _flag("ALLOW_CONSOLE_SMS", False)
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "campus-share@localhost")
    # Seconds a process may reuse an availability read (the rush asks for the same week at once).
    AVAILABILITY_CACHE_SECONDS = float(os.environ.get("AVAILABILITY_CACHE_SECONDS", "1"))
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Limits per client address; several processes share them only through Redis.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute; 100 per hour")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5 per minute; 30 per hour")
    RATELIMIT_BOOKING = os.environ.get("RATELIMIT_BOOKING", "30 per minute")
    # Each process counts in memory:// on its own, so production refuses it unless allowed.
    ALLOW_MEMORY_RATELIMIT_IN_PRODUCTION = _flag("ALLOW_MEMORY_RATELIMIT_IN_PRODUCTION", False)
    # The address residents use, e.g. https://share.nancheng.edu.cn (no path). It becomes
    # SERVER_NAME and PREFERRED_URL_SCHEME: links in QR codes, calendar files, e-mails and
    # reset links are built on it, never on a request's Host header. Required in production.
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or None
    # Host names the site answers to (comma-separated; ".example.org" takes its subdomains);
    # any other Host header, or none, gets 400 (mind load balancers' health checks).
    # Unset: any host; links are built on PUBLIC_URL all the same.
    TRUSTED_HOSTS = _names("TRUSTED_HOSTS")
    # How many proxies in front of the site set X-Forwarded-For and X-Forwarded-Proto: the
    # client's address (rate limits, logs) and scheme come from there. 0: not behind a proxy.
    TRUSTED_PROXIES = _whole_number("TRUSTED_PROXIES", 0)
    # Request bodies over this many bytes get 413. Forms upload no files; the longest field
    # holds 2,000 characters. Flask 3.1's multipart limits (bytes per text field, number of
    # parts) are pinned here so they cannot drift.
    MAX_CONTENT_LENGTH = _whole_number("MAX_CONTENT_LENGTH", 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 1_000
    # Where "Map" links go: {query} becomes the school's name and address, URL-encoded.
    # A link only (no map script is loaded); empty: no map links.
    MAP_URL_TEMPLATE = os.environ.get(
        "MAP_URL_TEMPLATE", "https://uri.amap.com/search?keyword={query}"
    )
    # Strict-Transport-Security max-age in seconds; 0 sends none (production sends a year).
    HSTS_SECONDS = 0
    PRODUCTION = False

    @classmethod
    def validate(cls, settings: dict[str, object]) -> list[str]:
        """Reasons the settings cannot be served with; empty when they are fine."""
        problems = []
        zone = str(settings.get("BOOKING_TIMEZONE") or "")
        if zone not in available_timezones():
            problems.append(
                f"BOOKING_TIMEZONE={zone!r} is not a known timezone (e.g. Asia/Shanghai)."
            )
        public_url = settings.get("PUBLIC_URL")
        if public_url and not public_url_settings(public_url):
            problems.append(
                f"PUBLIC_URL={public_url!r} must be the site's address with http:// or "
                "https:// and no path (for example: https://share.nancheng.edu.cn)."
            )
        if not str(settings.get("TRUSTED_PROXIES", 0)).isdigit():
            problems.append("TRUSTED_PROXIES must be the number of proxies in front (0 or more).")
        provider = settings.get("SMS_PROVIDER", "console")
        if provider not in {"console", "tencent"}:
            problems.append(f"SMS_PROVIDER={provider!r} is not one of console, tencent.")
        if provider == "tencent":
            missing = [name for name in TENCENT_SETTINGS if not settings.get(name)]
            if missing:
                problems.append("SMS_PROVIDER=tencent needs " + ", ".join(missing) + ".")
        return problems


TENCENT_SETTINGS = (
    "TENCENT_SECRET_ID",
    "TENCENT_SECRET_KEY",
    "TENCENT_SMS_SDK_APP_ID",
    "TENCENT_SMS_SIGN_NAME",
    "TENCENT_SMS_TEMPLATE_ID",
)


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105
    ID_HASH_KEY = "testing-id-hash-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    AVAILABILITY_CACHE_SECONDS = 0.0
    BOOKING_SCHEDULER = False
    # The developer's environment does not leak into the tests.
    PUBLIC_URL = None
    TRUSTED_HOSTS = None
    TRUSTED_PROXIES = 0


class ProductionConfig(Config):
    PRODUCTION = True
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SMS_VERIFY_REGISTRATION = _flag("SMS_VERIFY_REGISTRATION", True)
    HSTS_SECONDS = _whole_number("HSTS_SECONDS", 365 * 24 * 3600)

    @classmethod
    def validate(cls, settings: dict[str, object]) -> list[str]:
        problems = super().validate(settings)
        secret = settings.get("SECRET_KEY")
        if not secret or secret == DEFAULT_SECRET_KEY or len(str(secret)) < 32:
            problems.append(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if settings.get("SMS_PROVIDER", "console") == "console" and not settings.get(
            "ALLOW_CONSOLE_SMS"
        ):
            problems.append(
                "SMS_PROVIDER=console only writes codes to the log, so residents could not "
                "reset a password or register: set SMS_PROVIDER=tencent with its settings "
                "(or ALLOW_CONSOLE_SMS=1 to try the production layout locally)."
            )
        uri = str(settings.get("SQLALCHEMY_DATABASE_URI") or "")
        if uri.startswith("sqlite") and not settings.get("ALLOW_SQLITE_IN_PRODUCTION"):
            problems.append(
                "DATABASE_URL points at SQLite; production needs PostgreSQL "
                "(set ALLOW_SQLITE_IN_PRODUCTION=1 for a small single-process site)."
            )
        if not settings.get("PUBLIC_URL"):
            problems.append(
                "PUBLIC_URL must be set to the site's address (for example: "
                "https://share.nancheng.edu.cn), so that links in QR codes and e-mails "
                "never take their host from a request."
            )
        storage = str(settings.get("RATELIMIT_STORAGE_URI") or "memory://")
        if (
            settings.get("RATELIMIT_ENABLED", True)
            and storage.startswith("memory://")
            and not settings.get("ALLOW_MEMORY_RATELIMIT_IN_PRODUCTION")
        ):
            problems.append(
                "RATELIMIT_STORAGE_URI is memory://, where every worker counts on its own and "
                "forgets on restart; point it at Redis (for example: redis://localhost:6379/0), "
                "or set ALLOW_MEMORY_RATELIMIT_IN_PRODUCTION=1 for a single-process site."
            )
        return problems


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
