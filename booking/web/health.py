"""Health for load balancers and orchestrators: /healthz says the process
answers; /readyz says it can serve (database reachable, migrations current,
Redis reachable when the rate limits use it). Neither needs a session."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.wrappers import Response

from booking import metrics
from booking.extensions import db, limiter

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
@limiter.exempt
def healthz() -> Response:
    return jsonify(status="ok")


@blueprint.route("/metrics")
@limiter.exempt
def prometheus_metrics() -> Response:
    """Prometheus's scrape, for the monitoring network only: other addresses get a 404."""
    if not is_internal(request.remote_addr):
        abort(404)
    return Response(metrics.exposition(), mimetype=metrics.CONTENT_TYPE_LATEST)


def is_internal(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private  # 10/8, 172.16/12, 192.168/16, fc00::/7, ...


@blueprint.route("/readyz")
@limiter.exempt
def readyz() -> tuple[Response, int]:
    checks = {"database": database_check(), "redis": redis_check()}
    if checks["database"] == "ok":
        checks["migrations"] = migrations_check()
    ready = all(value in ("ok", "not used") for value in checks.values())
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    if not ready:
        response.headers["Retry-After"] = "5"
    return response, 200 if ready else 503


def database_check() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return f"unreachable: {type(error.orig or error).__name__}"
    return "ok"


def migrations_check() -> str:
    """The database's revision against the newest in migrations/."""
    migrate: Any = current_app.extensions["migrate"]
    config = Config()
    config.set_main_option("script_location", str(migrate.directory))
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        current = None
    if current == head:
        return "ok"
    return f"behind: database at {current or 'no revision'}, code at {head}"


def redis_check() -> str:
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    if not uri.startswith(("redis://", "rediss://", "unix://")):
        return "not used"
    import redis

    try:
        redis.Redis.from_url(uri, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"unreachable: {type(error).__name__}"
    return "ok"
