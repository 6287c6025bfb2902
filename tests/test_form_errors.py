"""marshmallow's own messages are worded again in the portal's language; the structure of
``exc.messages`` and a schema's own messages are kept."""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from mash_core.form_errors import localise


class Everything(ma.Schema):
    count = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=100))
    above = ma.fields.Float(validate=ma.validate.Range(min=0, min_inclusive=False))
    ratio = ma.fields.Float(validate=ma.validate.Range(max=1.5))
    mode = ma.fields.String(validate=ma.validate.OneOf(("fast", "exact")))
    name = ma.fields.String(validate=ma.validate.Length(min=2, max=5))
    code = ma.fields.String(validate=ma.validate.Regexp(r"^[a-z]+$"))
    own = ma.fields.String(validate=ma.validate.Regexp(r"^x$", error="Nur x."))
    mail = ma.fields.Email()
    day = ma.fields.Date()
    flag = ma.fields.Boolean()
    tags = ma.fields.List(ma.fields.Integer())


@pytest.fixture
def app():
    from pathlib import Path

    import mash_core
    from mash_core.i18n import compile_catalogues

    folder = Path(mash_core.__file__).parent / "translations"
    compile_catalogues(folder)
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(folder)
    Babel(app, default_locale="de")
    with app.app_context():
        yield app


def errors(data: dict) -> dict:
    with pytest.raises(ma.ValidationError) as caught:
        Everything().load(data)
    return caught.value.messages


BAD = {"above": 0, "ratio": 2, "mode": "schnell", "name": "x", "code": "A1", "own": "y",
       "mail": "nein", "day": "gestern", "flag": "vielleicht", "tags": [1, "zwei"], "extra": 1}


def test_marshmallow_messages_in_german(app):
    got = localise(errors(BAD))
    assert got == {
        "count": ["Bitte ausfüllen."],
        "above": ["Muss größer als 0 sein."],
        "ratio": ["Muss höchstens 1.5 sein."],
        "mode": ["Erlaubt sind: fast, exact."],
        "name": ["2 bis 5 Zeichen."],
        "code": ["Das Format stimmt nicht."],
        "own": ["Nur x."],  # worded by the schema: unchanged
        "mail": ["Bitte eine gültige E-Mail-Adresse angeben."],
        "day": ["Bitte ein gültiges Datum angeben."],
        "flag": ["Bitte ja oder nein angeben."],
        "tags": {1: ["Bitte eine ganze Zahl angeben."]},  # indexes kept
        "extra": ["Unbekanntes Feld."],
    }
    assert localise(errors({"count": 0})) == {"count": ["Muss mindestens 1 und höchstens 100 sein."]}
    assert localise(errors({"count": "viele"})) == {"count": ["Bitte eine ganze Zahl angeben."]}


def test_english_pages_get_english_words(app):
    with force_locale("en"):
        assert localise(errors({"count": 0})) == {"count": ["Must be at least 1 and at most 100."]}
        assert localise(["Missing data for required field."]) == ["Please fill in."]
