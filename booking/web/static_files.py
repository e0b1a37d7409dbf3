"""Static files under versioned URLs: url_for('static', ...) adds ?v= and the
first bytes of the file's hash, so a browser may keep it a year and still get
a new file the moment it changes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

YEAR = 365 * 24 * 3600


def register(app: Flask) -> None:
    versions: dict[str, tuple[float, str]] = {}
    folder = Path(app.static_folder or "static")

    def version_of(filename: str) -> str | None:
        path = folder / filename
        try:
            modified = path.stat().st_mtime
        except OSError:
            return None
        known = versions.get(filename)
        if known is None or known[0] != modified:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            versions[filename] = known = (modified, digest)
        return known[1]

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = version_of(str(values["filename"]))
            if version:
                values["v"] = version

    @app.after_request
    def cache_versioned(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        asked = request.args.get("v")
        filename = (request.view_args or {}).get("filename")
        if asked and filename and asked == version_of(str(filename)):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
