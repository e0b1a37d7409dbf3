"""Headers on every response: what a browser may load, frame, sniff, send on and keep.

The pages use no inline script and no inline style (keep it so: the policy
below refuses both). Pico's icons are `data:` SVG images, and the QR code is
an SVG inlined in the page, which needs no source of its own.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask.wrappers import Response
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",  # scripts, styles, fonts, fetches: this site's files only
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",  # no other site can frame a page and steer its buttons
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # The full address only within the site: booking codes in paths stay here, and
    # Flask-WTF's HTTPS check still sees the Referer of the site's own forms.
    "Referrer-Policy": "same-origin",
}

# Anonymous visitors' pages of the public blueprint (schools, facilities, find) show
# nothing personal: a browser may keep them for the back button but asks again before
# showing them, so a released or taken place is never stale.
PUBLIC_PAGE_CACHE = "no-cache"
PERSONAL_CACHE = "no-store"


def is_public_page() -> bool:
    """A public page read by someone who is not signed in."""
    return (
        request.blueprint == "public"
        and request.method in {"GET", "HEAD"}
        and not g.get("database_unavailable")  # who is signed in cannot be known then
        and not current_user.is_authenticated
    )


def add_security_headers(response: Response, hsts_seconds: int) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if hsts_seconds:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}")


def set_cache_control(response: Response) -> None:
    """no-store on everything but static files and public pages read anonymously.

    Static files keep their own caching. A signed-in user's pages, every export,
    every form and the API are never stored, whatever a view asked for.
    """
    if request.endpoint == "static":
        return
    if is_public_page():
        response.headers.setdefault("Cache-Control", PUBLIC_PAGE_CACHE)
    else:
        response.headers["Cache-Control"] = PERSONAL_CACHE


def vary_by_language(response: Response) -> None:
    """The language follows Accept-Language and the language cookie: a shared
    cache must not hand one reader's language to another."""
    if request.endpoint != "static":
        response.vary.update(["Accept-Language", "Cookie"])


def register(app: Flask) -> None:
    hsts_seconds = int(app.config.get("HSTS_SECONDS") or 0)

    @app.after_request
    def headers(response: Response) -> Response:
        add_security_headers(response, hsts_seconds)
        set_cache_control(response)
        vary_by_language(response)
        return response
