"""Every string the code and templates show is in the catalogue, translated to Chinese."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "booking/translations/zh_Hans/LC_MESSAGES/messages.po"


def extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_every_string_has_a_chinese_translation(tmp_path):
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans")
    translated = {m.id for m in catalogue if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(str(message_id) for message_id in extract(tmp_path) - translated)
    assert missing == [], f"untranslated (run `make messages`, then translate): {missing}"


def test_placeholders_survive_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans")
    for message in catalogue:
        if message.id and message.string and not message.pluralizable:
            for placeholder in re.findall(r"%\(\w+\)[sd]", message.id):
                assert placeholder in message.string, message.id
