"""German first, English too. Source strings are German; catalogues live beside each package."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import g, request, session
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("de", "en")
DEFAULT = "de"
log = logging.getLogger("mash.i18n")


def select_locale() -> str:
    lang = session.get("lang") if request else None
    if lang in LANGUAGES:
        return lang
    user = g.get("user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    return request.accept_languages.best_match(LANGUAGES, DEFAULT) if request else DEFAULT


def compile_catalogues(folder: Path) -> None:
    """Compile every ``*.po`` under ``folder`` whose ``.mo`` is missing or older."""
    for po in folder.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with mo.open("wb") as fh:
                write_mo(fh, catalog)
        except OSError as exc:  # a read-only install keeps whatever was compiled at build time
            log.warning("cannot compile %s: %s", po, exc)
