"""The questionnaire as a marshmallow schema (API query and the GET form share it) and the
schemas of the plan the API returns."""

from __future__ import annotations

import re
from datetime import date, timedelta

import marshmallow as ma

from .calendar import after_lebensmonate
from .rules import COVERAGE_FROM

#: how far ahead a (expected) date of birth may lie
MAX_DAYS_AHEAD = 730
MAX_CHILDREN = 8
MAX_WEEKS_EARLY = 18
ELTERNZEIT_UNTIL_MONTHS = 96  # Elternzeit ends with the 8th birthday (§ 15 Abs. 2 BEEG)
CARE_UNTIL_MONTHS = 84        # childcare wishes up to the 7th birthday
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def latest_birth_date(today: date | None = None) -> date:
    return (today or date.today()) + timedelta(days=MAX_DAYS_AHEAD)


class FlexibleDate(ma.fields.Date):
    """A date as ISO 8601 (``2026-03-10``, what ``<input type="date">`` sends) or German (``10.03.2026``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
            match = _GERMAN_DATE.fullmatch(value)
            if match:
                try:
                    return date(int(match[3]), int(match[2]), int(match[1]))
                except ValueError as exc:
                    raise self.make_error("invalid") from exc
        return super()._deserialize(value, attr, data, **kwargs)


class BirthQuerySchema(ma.Schema):
    """Answers of the questionnaire "Geburt eines Kindes". Only ``birth_date`` is required."""

    class Meta:
        unknown = ma.EXCLUDE

    birth_date = FlexibleDate(required=True, metadata={
        "description": "date of birth (or the expected date, if the child is not born yet), YYYY-MM-DD "
                       "(DD.MM.YYYY is accepted too); "
                       f"from {COVERAGE_FROM.isoformat()} to {MAX_DAYS_AHEAD} days ahead"})
    children = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, MAX_CHILDREN),
                                 metadata={"description": "number of children born (2 = twins)"})
    weeks_early = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, MAX_WEEKS_EARLY),
                                    metadata={"description": "full weeks born before the expected date of delivery"})
    premature = ma.fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "premature birth in the medical sense (Mutterschutz 12 weeks); default: "
                       "assumed from 6 weeks early"})
    disability = ma.fields.Boolean(load_default=False, metadata={
        "description": "a disability of the child diagnosed within 8 weeks after the birth"})
    home_birth = ma.fields.Boolean(load_default=False, metadata={"description": "born at home, not in a clinic"})
    married = ma.fields.Boolean(load_default=True, metadata={"description": "the parents are married to each other"})
    mother_employed = ma.fields.Boolean(load_default=True, metadata={
        "description": "the mother is employed, in training or studying (Mutterschutz applies)"})
    elternzeit = ma.fields.Boolean(load_default=True, metadata={"description": "an employed parent wants Elternzeit"})
    elternzeit_start = FlexibleDate(load_default=None, allow_none=True, metadata={
        "description": "planned start of the Elternzeit (default: at the birth)"})
    income_above_cap = ma.fields.Boolean(load_default=False, metadata={
        "description": "taxable income above the Elterngeld cap for the birth date (yes/no only)"})
    care_start = FlexibleDate(load_default=None, allow_none=True, metadata={
        "description": "wished start of childcare (default: the first birthday)"})

    @ma.pre_load
    def _drop_empty(self, data, **kwargs):
        """An empty form field means "not answered"."""
        cleaned = {}
        for key in data:
            value = data[key]
            if isinstance(value, str):
                value = value.strip()
            if value not in ("", None):
                cleaned[key] = value
        return cleaned

    @ma.validates("birth_date")
    def _birth_date_in_range(self, value, **kwargs):
        if value < COVERAGE_FROM:
            raise ma.ValidationError(f"The assistant covers births from {COVERAGE_FROM.isoformat()} on.")
        if value > latest_birth_date():
            raise ma.ValidationError(f"At most {MAX_DAYS_AHEAD} days ahead.")

    @ma.validates_schema
    def _dates_after_birth(self, data, **kwargs):
        birth = data.get("birth_date")
        if birth is None:
            return
        errors = {}
        start = data.get("elternzeit_start")
        if start is not None and not birth <= start < after_lebensmonate(birth, ELTERNZEIT_UNTIL_MONTHS):
            errors["elternzeit_start"] = ["Must be on or after the birth and before the 8th birthday."]
        care = data.get("care_start")
        if care is not None and not birth <= care < after_lebensmonate(birth, CARE_UNTIL_MONTHS):
            errors["care_start"] = ["Must be on or after the birth and before the 7th birthday."]
        if errors:
            raise ma.ValidationError(errors)


# -- the plan (response) -----------------------------------------------------------------------
class BirthFactSchema(ma.Schema):
    label = ma.fields.String()
    date = ma.fields.Date()
    eur = ma.fields.Integer(metadata={"description": "amount in euros"})
    text = ma.fields.String()
    since = ma.fields.Date(metadata={"description": "the amount applies from this day"})


class BirthSourceSchema(ma.Schema):
    rule = ma.fields.String(metadata={"description": "id of the rule in the assistant's rule table"})
    legal_ref = ma.fields.String()
    url = ma.fields.String()
    valid_from = ma.fields.Date(metadata={"description": "the rule applies to births (or months) from this day"})
    valid_to = ma.fields.Date()
    needs_checking = ma.fields.Boolean(metadata={"description": "not yet confirmed against the primary source"})
    last_verified = ma.fields.Date()


class BirthShiftSchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", attribute="from",
                           metadata={"description": "the computed day, before moving to the next working day"})
    reasons = ma.fields.List(ma.fields.String())


class BirthLinkSchema(ma.Schema):
    title = ma.fields.String()
    url = ma.fields.String()


class BirthStepSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "stable identifier of the step"})
    title = ma.fields.String()
    office = ma.fields.String(metadata={"description": "the responsible office"})
    legal_basis = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "deadline | recommendation | period_end | start"})
    due = ma.fields.Date(metadata={"description": "the single date of the step (absent when recommended/latest)"})
    recommended = ma.fields.Date(metadata={"description": "best done by this day"})
    latest = ma.fields.Date(metadata={"description": "the legal deadline"})
    description = ma.fields.String()
    documents = ma.fields.List(ma.fields.String())
    notes = ma.fields.List(ma.fields.String())
    facts = ma.fields.List(ma.fields.Nested(BirthFactSchema))
    links = ma.fields.List(ma.fields.Nested(BirthLinkSchema))
    shifted = ma.fields.Nested(BirthShiftSchema, metadata={
        "description": "present when the deadline fell on a weekend or Baden-Württemberg holiday"})
    sources = ma.fields.List(ma.fields.Nested(BirthSourceSchema))


class BirthNoticeSchema(ma.Schema):
    text = ma.fields.String()
    facts = ma.fields.List(ma.fields.Nested(BirthFactSchema))


class BirthPlanSchema(ma.Schema):
    birth_date = ma.fields.Date()
    expected_date = ma.fields.Date()
    children = ma.fields.Integer()
    steps = ma.fields.List(ma.fields.Nested(BirthStepSchema))
    notices = ma.fields.List(ma.fields.Nested(BirthNoticeSchema))
