"""``mash-sdk new <slug>``: a ready plugin distribution, laid out like every MAsH plugin.

The files under ``files/`` are templates (``*.tmpl``) in which ``__slug__``, ``__title__``,
``__Class__`` and ``__SLUG_UPPER__`` are replaced, in paths and contents. The German and English
catalogues are then extracted from the generated package, so that they hold exactly its strings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

FILES = Path(__file__).parent / "files"
SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,30}$")
#: slugs whose URL prefix, blueprint or permission namespace the core already uses
RESERVED = {"core", "admin", "api", "static", "auth", "account", "shell", "dashboard", "impressum",
            "datenschutz", "barrierefreiheit", "sprache", "mash", "sdk", "test", "tests"}
#: English translations of the scaffold's German source strings
ENGLISH = {
    "Ein neues Online-Angebot der Stadt.": "A new online service of the city.",
    "Noch keine Einträge.": "No entries yet.",
    "Kontakt": "Contact",
    "Zur Seite": "Go to the page",
    "Einträge dieses Angebots pflegen": "Maintain this service's entries",
    "Einleitungstext der Seite": "Introduction text of the page",
    "Einträge löschen nach (Tagen)": "Delete entries after (days)",
    ("%(num)d Eintrag", "%(num)d Einträge"): ("%(num)d entry", "%(num)d entries"),
}
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


class ScaffoldError(ValueError):
    """The slug, title or target folder cannot be used; the message says why."""


def create(slug: str, target: Path, title: Optional[str] = None, force: bool = False) -> Path:
    """Write distribution ``mash-<slug>`` into ``target``; returns ``target``."""
    if not SLUG_RE.match(slug):
        raise ScaffoldError(f"slug {slug!r} must be 2–31 lower-case letters and digits, starting with a letter")
    if slug in RESERVED:
        raise ScaffoldError(f"slug {slug!r} is reserved by the core")
    title = (title or slug.capitalize()).strip()
    if not title or re.search(r"['\"\\\n{}%<>]", title) or len(title) > 80:
        raise ScaffoldError("title must be 1–80 characters without quotes, backslashes, braces, % or <>")
    target = Path(target)
    if target.exists() and any(target.iterdir()) and not force:
        raise ScaffoldError(f"{target} exists and is not empty (use --force to write into it)")
    values = {"__slug__": slug, "__title__": title, "__Class__": slug.capitalize(),
              "__SLUG_UPPER__": slug.upper()}

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    for source in sorted(FILES.rglob("*.tmpl")):
        rel = source.relative_to(FILES).as_posix()[: -len(".tmpl")]
        dest = target / fill(rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(fill(source.read_text(encoding="utf-8")), encoding="utf-8")
    write_catalogues(target / f"mash_{slug}", title)
    return target


def write_catalogues(package: Path, title: str) -> list[Path]:
    """German (identity) and English catalogues with every string of ``package``."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import write_po

    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(package), method_map=[("**/templates/**.html", "jinja2"), ("**.py", "python")],
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}, keywords=KEYWORDS):
        found.append((message, filename, lineno))
    written = []
    for locale in ("de", "en"):
        catalog = Catalog(locale=locale, project=package.name, version="0.1.0", charset="utf-8", fuzzy=False)
        for message, filename, lineno in found:
            if locale == "de":
                string = message  # source strings are German
            else:
                string = ENGLISH.get(message, title if message == title else None)
                if string is None:
                    raise ScaffoldError(f"no English translation for scaffold string {message!r}")
            catalog.add(message, string, locations=[(filename, lineno)])
        po = package / "translations" / locale / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
        written.append(po)
    return written
