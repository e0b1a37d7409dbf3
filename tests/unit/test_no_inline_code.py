"""The pages keep within the Content-Security-Policy (booking.web.headers): no
inline script, style or event handler in any template, and nothing the CSS
loads from another site. The browser tests watch the rendered pages."""

import re
from pathlib import Path

import pytest

from booking.web.headers import CONTENT_SECURITY_POLICY
from booking.web.residents.views import qr_svg

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
STYLESHEETS = sorted((ROOT / "static").rglob("*.css"))

REFUSED_BY_THE_POLICY = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "a style= attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_there_are_templates_and_stylesheets_to_check():
    assert len(TEMPLATES) > 20
    assert STYLESHEETS


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_needs_what_the_policy_refuses(template):
    text = template.read_text()
    for what, pattern in REFUSED_BY_THE_POLICY.items():
        found = pattern.search(text)
        assert found is None, f"{what} in {template.name}: {found.group(0) if found else ''}"


@pytest.mark.parametrize("stylesheet", STYLESHEETS, ids=lambda path: path.name)
def test_stylesheets_load_only_this_sites_files_and_data_images(stylesheet):
    text = stylesheet.read_text()
    assert "@import" not in text
    for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", text):
        assert url.startswith("data:image/") or "://" not in url, url
    assert "data:" in CONTENT_SECURITY_POLICY  # Pico's icons are data: images


def test_the_qr_code_is_plain_svg_without_style_or_script():
    svg = str(qr_svg("https://share.nancheng.edu.cn/staff/checkin/ABC123"))
    assert svg.startswith("<svg")
    assert "style" not in svg
    assert "<script" not in svg
