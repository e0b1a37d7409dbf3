"""campus-share: public schools open their facilities to the residents of their district."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from config import CONFIGS, Config, public_url_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class UnsafeConfiguration(RuntimeError):
    """Production settings that must not be served with."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("BOOKING_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    config_class = configure(app, test_config)
    problems = config_class.validate(app.config)
    if problems:
        raise UnsafeConfiguration("Refusing to start: " + " ".join(problems))

    register_extensions(app)
    register_url_checks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_static_files(app)
    register_request_log(app)
    register_response_headers(app)
    register_proxy_fix(app)
    register_cli(app)
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> type[Config]:
    env = "testing" if test_config is not None else os.environ.get("BOOKING_ENV", "development")
    if test_config is None and env == "testing":
        raise UnsafeConfiguration(
            "Refusing to start: BOOKING_ENV=testing is only for the test suite (it turns off "
            "CSRF checks and rate limits and uses a published secret key); "
            "use BOOKING_ENV=development or BOOKING_ENV=production."
        )
    if env not in CONFIGS:
        raise UnsafeConfiguration(
            f"Refusing to start: BOOKING_ENV={env!r} is not development or production."
        )
    config_class = CONFIGS[env]
    app.config.from_object(config_class)
    if test_config:
        app.config.update(test_config)
    app.config.update(public_url_settings(app.config.get("PUBLIC_URL")))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "campus-share.sqlite"
        )
    if not config_class.PRODUCTION and app.config["SECRET_KEY"] == Config.SECRET_KEY:
        app.config["SECRET_KEY"] = development_secret(Path(app.instance_path))
    if not app.config.get("ID_HASH_KEY"):
        app.config["ID_HASH_KEY"] = "id-number:" + app.config["SECRET_KEY"]
    configure_engine(app)
    return config_class


def development_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def configure_engine(app: Flask) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 15)
        options["connect_args"] = connect_args
    else:
        # Recycle rather than ping before every checkout: a ping is one more
        # round trip on every request, and the release rush counts them.
        options.setdefault("pool_recycle", 1800)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    from booking.database import register_sqlite_pragmas
    from booking.web import i18n
    from booking.web.auth.sessions import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    with app.app_context():
        register_sqlite_pragmas(db.engine)
    login_manager.init_app(app)
    # The cookies carry the session counter too (booking.web.auth.sessions).
    login_manager.id_attribute = "session_token"
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.LOGIN_REQUIRED
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    compress.init_app(app)
    app.extensions["failure_counter"] = shared_failure_counter(app)


def shared_failure_counter(app: Flask) -> object | None:
    """Failed logins and codes are counted in Redis when the rate limits use
    it; None means in the database (booking.services.throttle)."""
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if not uri.startswith(("redis://", "rediss://", "unix://")):
        return None
    import redis

    from booking.services.throttle import RedisCounter

    return RedisCounter(redis.Redis.from_url(uri))


def register_url_checks(app: Flask) -> None:
    """Before the blueprints, so that every route's <int:...> is the bounded one."""
    from booking.web import urls

    urls.register(app)


def register_blueprints(app: Flask) -> None:
    from booking.web import api
    from booking.web.account.views import blueprint as account
    from booking.web.admin import create_blueprint as admin_blueprint
    from booking.web.auth.views import blueprint as auth
    from booking.web.health import blueprint as health
    from booking.web.public.views import blueprint as public
    from booking.web.residents.views import blueprint as residents
    from booking.web.staff import create_blueprint as staff_blueprint

    app.register_blueprint(public)
    app.register_blueprint(health)
    app.register_blueprint(auth, url_prefix="/auth")
    app.register_blueprint(account)
    app.register_blueprint(residents)
    app.register_blueprint(staff_blueprint(), url_prefix="/staff")
    app.register_blueprint(admin_blueprint(), url_prefix="/admin")
    api.register(app)


def register_errorhandlers(app: Flask) -> None:
    from booking.web.errors import register

    register(app)


def register_request_log(app: Flask) -> None:
    import logging

    from booking.web.request_log import register

    if not app.testing and not logging.getLogger().handlers:  # a server's console: show INFO
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    register(app)


def register_static_files(app: Flask) -> None:
    from booking.web.static_files import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from booking.web.templating import register

    register(app)


def register_response_headers(app: Flask) -> None:
    from booking.web.headers import register

    register(app)


def register_proxy_fix(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, the client's address and scheme are the ones they
    forward; without it, X-Forwarded-* headers are ignored. The host is PUBLIC_URL's."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_cli(app: Flask) -> None:
    from booking.ops.cli import register

    register(app)
