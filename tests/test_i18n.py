"""Every German source string has an English translation, and the English pages render.

Source strings are German; English lives in ``translations/en/LC_MESSAGES/messages.po`` beside
the core package and beside every installed plugin package. When a test here fails after you
added or changed a string, run ``mash i18n update`` and translate the new entries.
"""

from __future__ import annotations

import html
import importlib
import importlib.metadata
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import mash_core
from mash_core.i18n import missing_translations
from mash_core.plugins.registry import ENTRY_POINT_GROUP

LOCALE = "en"
# %(name)s, %(num)d, %(ratio).1f … — printf-style named placeholders
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
HTML_LANG = re.compile(r'<html lang="([^"]+)"')


def _package_dirs() -> list[tuple[str, Path]]:
    """The core package and the top-level package of every installed plugin."""
    dirs = [("mash_core", Path(mash_core.__file__).parent)]
    seen = {dirs[0][1]}
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        top = importlib.import_module(ep.module.partition(".")[0])
        folder = Path(top.__file__).parent
        if folder not in seen:
            seen.add(folder)
            dirs.append((ep.name, folder))
    return dirs


PACKAGES = _package_dirs()
IDS = [name for name, _ in PACKAGES]


def _catalogue(package_dir: Path):
    po = package_dir / "translations" / LOCALE / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    with po.open("rb") as fh:
        return read_po(fh, locale=LOCALE)


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


@pytest.mark.parametrize("name, package_dir", PACKAGES, ids=IDS)
def test_every_string_is_translated(name, package_dir):
    missing = missing_translations(package_dir, LOCALE)
    catalogue = _catalogue(package_dir)
    fuzzy = [] if catalogue is None else [
        m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and m.fuzzy]
    problems = missing + [f"{s} (fuzzy)" for s in fuzzy]
    assert problems == [], (
        f"{name}: {len(problems)} string(s) without an English translation in "
        f"{package_dir / 'translations' / LOCALE / 'LC_MESSAGES' / 'messages.po'}:\n  - "
        + "\n  - ".join(problems)
        + "\nRun `mash i18n update` and translate the new entries (no empty msgstr, no fuzzy flag).")


@pytest.mark.parametrize("name, package_dir", PACKAGES, ids=IDS)
def test_translations_keep_placeholders(name, package_dir):
    catalogue = _catalogue(package_dir)
    if catalogue is None:
        pytest.skip(f"{name} has no {LOCALE} catalogue (nothing to translate)")
    wrong = []
    for msg in catalogue:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, (tuple, list)) else (msg.id,)
        strings = msg.string if isinstance(msg.string, (tuple, list)) else (msg.string,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for s in strings:
            if s and _placeholders(s) != expected:
                wrong.append(f"{ids[0]!r}: expected {sorted(expected)}, got {sorted(_placeholders(s))} in {s!r}")
    assert wrong == [], f"{name}: translations with different placeholders:\n  - " + "\n  - ".join(wrong)


def test_home_page_in_english_and_back_to_german(mash_app, client_as):
    client = client_as(None)
    page = client.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    assert HTML_LANG.search(body).group(1) == "en"
    assert "Welcome to the digital services of Stadt Heidelberg" in body
    assert "Skip to content" in body
    assert "Willkommen bei den digitalen Diensten" not in body

    assert "csrf_token" not in body  # anonymous pages carry no form token, hence no session cookie
    assert 'href="/sprache/de?next=/"' in body
    switched = client.get("/sprache/de?next=/", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert switched.status_code == 200
    body = html.unescape(switched.get_data(as_text=True))
    assert HTML_LANG.search(body).group(1) == "de"
    assert "Willkommen bei den digitalen Diensten von Stadt Heidelberg" in body
    assert "Zum Inhalt springen" in body
    assert "Welcome to the digital services" not in body

    # the choice sticks for later requests, whatever the browser prefers
    again = html.unescape(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert HTML_LANG.search(again).group(1) == "de"
