"""Vendored assets are the recorded versions, pages reference nothing outside the server, catalogs are complete."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import pingan
from pingan.web.i18n import LOCALE_DIR

PACKAGE = Path(pingan.__file__).parent
VENDOR = PACKAGE / "web" / "static" / "vendor"
TEMPLATES = PACKAGE / "web" / "templates"


def test_vendored_files_match_their_recorded_hashes_and_carry_licences() -> None:
    record = json.loads((VENDOR / "vendored.json").read_text("utf-8"))
    assert {"leaflet", "echarts", "htmx"} <= set(record)
    for name, entry in record.items():
        assert entry["version"] and entry["license"], name
        assert any(p.name.startswith("LICENSE") for p in (VENDOR / name).iterdir()), name
        for rel, digest in entry["files"].items():
            path = VENDOR / rel if (VENDOR / rel).exists() else VENDOR / name / rel
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, rel


def test_templates_load_nothing_from_outside_the_server() -> None:
    external = re.compile(r"""(src|href)\s*=\s*["'](https?:)?//""", re.IGNORECASE)
    for template in TEMPLATES.rglob("*.html"):
        assert not external.search(template.read_text("utf-8")), template.name


def _msgids_in_source() -> set[str]:
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map, options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_has_a_chinese_translation() -> None:
    with (LOCALE_DIR / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = _msgids_in_source() - translated
    assert not missing, f"add to the zh_Hans_CN catalog: {sorted(missing)}"
