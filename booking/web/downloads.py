"""Files the pages hand out (CSV exports, calendar files): attachments no cache keeps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import current_app
from flask.wrappers import Response

from booking.services.exports import write_csv


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # personal data, whoever asks
    return response


def csv_download(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """A CSV export through the one writer that neutralises formulas; the BOM lets
    Excel read it as UTF-8."""
    return download("\ufeff" + write_csv(rows), "text/csv", filename)
