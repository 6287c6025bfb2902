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


def install_fast_gettext(app) -> None:
    """Jinja's ``_``/``gettext``/``ngettext`` with the request's catalogue looked up once.

    Flask-Babel's template functions resolve locale and catalogue and go through Jinja's
    context-passing wrapper on every call (~20 µs each, dozens per page). These return plain
    text, which autoescaping then escapes as a whole — translations contain no markup. The
    catalogue is cached on ``g`` for the request, so a language switch applies from the next one.
    """
    from flask_babel import get_translations

    def translations():
        cached = g.get("_mash_translations")
        if cached is None:
            cached = g._mash_translations = get_translations()
        return cached

    def gettext(string, **variables):
        text = translations().ugettext(string)
        return text % variables if variables else text

    def ngettext(singular, plural, num, **variables):
        variables.setdefault("num", num)
        return translations().ungettext(singular, plural, num) % variables

    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


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


# -- catalogue maintenance (used by `mash i18n update` and the completeness test) -----------
EXTRACT_METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extract(package_dir: Path):
    """A catalogue of every translatable string in a package (Python and Jinja templates)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project=package_dir.name, locale=None)
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.do", "trimmed": "false"}}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(package_dir), method_map=EXTRACT_METHODS, options_map=options, keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalogue(package_dir: Path, locale: str = "en") -> Path:
    """Merge the package's current strings into ``translations/<locale>/LC_MESSAGES/messages.po``
    (new strings get an empty translation; strings no longer used are dropped)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extract(package_dir)
    po = package_dir / "translations" / locale / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        catalog = Catalog(locale=locale, project=package_dir.name)
    before = {m.id for m in catalog if m.id}
    created = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    if {m.id for m in catalog if m.id} == before:
        catalog.creation_date = created  # no churn in version control when nothing changed
    with po.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    return po


def missing_translations(package_dir: Path, locale: str = "en") -> list[str]:
    """Strings of the package without a translation in ``locale`` (empty when complete)."""
    from babel.messages.pofile import read_po

    po = package_dir / "translations" / locale / "LC_MESSAGES" / "messages.po"
    translated = {}
    if po.exists():
        with po.open("rb") as fh:
            for msg in read_po(fh, locale=locale):
                if msg.id:
                    translated[msg.id] = msg.string
    missing = []
    for msg in extract(package_dir):
        if not msg.id:
            continue
        value = translated.get(msg.id)
        ok = all(value) if isinstance(value, (tuple, list)) else bool(value)
        if not ok:
            missing.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return missing
