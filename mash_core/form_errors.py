"""marshmallow's own validation messages in the portal's language, for forms.

marshmallow formats its messages in English before it raises, and German is the portal's first
language: forms pass ``exc.messages`` through :func:`localise`, which recognises marshmallow's
standard messages (values included) and words them again through gettext. Messages a schema
words itself pass through unchanged — they already went through translation.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from flask_babel import gettext as _

# marshmallow's Range operators, worded with their bound
_OPS: dict[str, Callable[[str], str]] = {
    "greater than or equal to": lambda v: _("mindestens %(value)s", value=v),
    "greater than": lambda v: _("größer als %(value)s", value=v),
    "less than or equal to": lambda v: _("höchstens %(value)s", value=v),
    "less than": lambda v: _("kleiner als %(value)s", value=v),
}


def _range(m: re.Match) -> str:
    first = _OPS[m["op1"]](m["v1"])
    if m["op2"] is None:
        return _("Muss %(bound)s sein.", bound=first)
    return _("Muss %(low)s und %(high)s sein.", low=first, high=_OPS[m["op2"]](m["v2"]))


_OP = "|".join(sorted(map(re.escape, _OPS), key=len, reverse=True))

# (pattern of marshmallow's English message, the message in the current language)
_RULES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [(re.compile(p + r"\Z"), f) for p, f in [
    (r"Missing data for required field\.", lambda m: _("Bitte ausfüllen.")),
    (r"Field may not be null\.", lambda m: _("Darf nicht leer sein.")),
    (r"Invalid value\.|Invalid input\.|Invalid type\.|Invalid input type\.",
     lambda m: _("Ungültige Angabe.")),
    (r"Unknown field\.", lambda m: _("Unbekanntes Feld.")),
    (r"Not a valid integer\.", lambda m: _("Bitte eine ganze Zahl angeben.")),
    (r"Not a valid number\.", lambda m: _("Bitte eine Zahl angeben.")),
    (r"Number too large\.", lambda m: _("Die Zahl ist zu groß.")),
    (r"Special numeric values \(nan or infinity\) are not permitted\.",
     lambda m: _("Bitte eine Zahl angeben.")),
    (r"Not a valid boolean\.", lambda m: _("Bitte ja oder nein angeben.")),
    (r"Not a valid string\.|Not a valid utf-8 string\.", lambda m: _("Bitte einen Text angeben.")),
    (r"Not a valid email address\.", lambda m: _("Bitte eine gültige E-Mail-Adresse angeben.")),
    (r"Not a valid URL\.", lambda m: _("Bitte eine gültige Internetadresse (URL) angeben.")),
    (r"Not a valid date\.", lambda m: _("Bitte ein gültiges Datum angeben.")),
    (r"Not a valid (?:aware |naive )?datetime\.", lambda m: _("Bitte Datum und Uhrzeit angeben.")),
    (r"Not a valid (?:aware |naive )?time\.", lambda m: _("Bitte eine Uhrzeit angeben.")),
    (r"Not a valid list\.", lambda m: _("Bitte eine Liste angeben.")),
    (r"String does not match expected pattern\.", lambda m: _("Das Format stimmt nicht.")),
    (r"Must be one of: (?P<choices>.*)\.", lambda m: _("Erlaubt sind: %(choices)s.", choices=m["choices"])),
    (r"Shorter than minimum length (?P<n>\d+)\.", lambda m: _("Mindestens %(n)s Zeichen.", n=m["n"])),
    (r"Longer than maximum length (?P<n>\d+)\.", lambda m: _("Höchstens %(n)s Zeichen.", n=m["n"])),
    (r"Length must be between (?P<a>\d+) and (?P<b>\d+)\.",
     lambda m: _("%(a)s bis %(b)s Zeichen.", a=m["a"], b=m["b"])),
    (r"Length must be (?P<n>\d+)\.", lambda m: _("Genau %(n)s Zeichen.", n=m["n"])),
    (rf"Must be (?P<op1>{_OP}) (?P<v1>\S+?)(?: and (?P<op2>{_OP}) (?P<v2>\S+?))?\.", _range),
]]


def localise_message(message: str) -> str:
    for pattern, words in _RULES:
        m = pattern.match(message)
        if m:
            return words(m)
    return message


def localise(messages: Any) -> Any:
    """``exc.messages`` of a :class:`marshmallow.ValidationError` with marshmallow's standard
    messages in the current language; the structure (dicts, lists, indexes) is kept."""
    if isinstance(messages, str):
        return localise_message(messages)
    if isinstance(messages, dict):
        return {key: localise(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [localise(value) for value in messages]
    return messages
