"""Application helper for Kindergeld and Elterngeld: the fields of the official applications,
the checks before anything is submitted, and the filled summary as a PDF.

Nothing here touches the database or logs a value: :func:`check` is a pure function of the posted
form and ``today``, and :func:`summary_pdf` turns its result into PDF bytes in memory.

Checks: the German tax identification number (Steuer-ID: 11 digits, no leading zero, the digit
repetition rules of the BZSt, check digit ISO 7064 MOD 11,10), the IBAN (ISO 13616: country
length, MOD 97-10), plausible dates (the child's birth date not in the future and inside the
period the assistant's rules cover), and which signatures the paper application needs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Optional

from mash_core.api import _, _l

from .assistant import Answers, build_plan
from .assistant.rules import COVERAGE_FROM, L_BANK_ELTERNGELD, rule

KINDS = ("kindergeld", "elterngeld")

# -- official links ----------------------------------------------------------------------------
#: Familienkasse (Bundesagentur für Arbeit). The brief names no URL for these: needs checking
#: against arbeitsagentur.de before each release.
FAMILIENKASSE_ONLINE = "https://www.arbeitsagentur.de/familie-und-kinder/kindergeld-beantragen"
FAMILIENKASSE_FORMS = "https://www.arbeitsagentur.de/familie-und-kinder/downloads-kindergeld-kinderzuschlag"

LINKS = {
    "kindergeld": (
        (_l("Kindergeld online beantragen (Familienkasse)"), FAMILIENKASSE_ONLINE),
        (_l("Formulare „KG 1“ und „Anlage Kind“ (Familienkasse)"), FAMILIENKASSE_FORMS),
    ),
    "elterngeld": (
        (_l("Elterngeld bei der L-Bank: Online-Antrag, Antragsformular und Arbeitgeberbescheinigung"),
         L_BANK_ELTERNGELD),
    ),
}
PHONES = {
    "kindergeld": _l("Familienkasse: Telefon 0800 4 5555 30 (kostenfrei, Mo–Fr 8–18 Uhr)"),
    "elterngeld": _l("L-Bank, Familienförderung: Telefon 0800 6645 471 (Mo–Fr 8:30–16 Uhr)"),
}
TITLES = {"kindergeld": _l("Kindergeld beantragen"), "elterngeld": _l("Elterngeld beantragen")}


# -- Steuer-ID ---------------------------------------------------------------------------------
def tax_id_check_digit(first_ten: str) -> int:
    """The check digit of the German tax identification number (ISO 7064, MOD 11,10)."""
    product = 10
    for char in first_ten:
        total = (int(char) + product) % 10
        if total == 0:
            total = 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def compact_digits(value: str) -> str:
    return re.sub(r"[\s./-]", "", value or "")


def tax_id_problem(value: str) -> Optional[str]:
    """None for a valid Steuer-ID, else why not: ``format``, ``leading_zero``, ``repetition`` or
    ``check_digit``.

    Repetition rules of the BZSt (since 2016): in the first ten digits exactly one digit occurs
    twice or three times, every other digit at most once, and a digit occurring three times
    does not stand in three directly consecutive places.
    """
    number = compact_digits(value)
    if not re.fullmatch(r"\d{11}", number):
        return "format"
    if number[0] == "0":
        return "leading_zero"
    head = number[:10]
    repeated = [count for count in Counter(head).values() if count > 1]
    if len(repeated) != 1 or repeated[0] not in (2, 3):
        return "repetition"
    if re.search(r"(\d)\1\1", head):
        return "repetition"
    if tax_id_check_digit(head) != int(number[10]):
        return "check_digit"
    return None


def is_valid_tax_id(value: str) -> bool:
    return tax_id_problem(value) is None


def format_tax_id(value: str) -> str:
    number = compact_digits(value)
    return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:]}"


# -- IBAN --------------------------------------------------------------------------------------
#: IBAN lengths of the SEPA countries (ISO 13616 registry)
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}


def compact_iban(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def iban_problem(value: str) -> Optional[str]:
    """None for a valid IBAN, else ``format``, ``country``, ``length`` or ``checksum``."""
    iban = compact_iban(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}", iban):
        return "format"
    country = iban[:2]
    if country not in IBAN_LENGTHS:
        return "country"
    if len(iban) != IBAN_LENGTHS[country]:
        return "length"
    if country == "DE" and not iban[2:].isdigit():
        return "format"
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return "checksum"
    return None


def is_valid_iban(value: str) -> bool:
    return iban_problem(value) is None


def format_iban(value: str) -> str:
    iban = compact_iban(value)
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


# -- the form ----------------------------------------------------------------------------------
TEXT, DATE, TAX_ID, IBAN, POSTCODE, NUMBER, CHOICE, CHECK = (
    "text", "date", "tax_id", "iban", "postcode", "number", "choice", "check")


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    type: str = TEXT
    required: bool = True
    hint: object = ""
    autocomplete: str = ""
    choices: tuple = ()          # (value, label)
    minimum: int = 0
    maximum: int = 0


@dataclass(frozen=True)
class Group:
    key: str
    legend: object
    fields: tuple


def _person(prefix: str, tax_required: bool = True) -> tuple:
    return (
        Field(f"{prefix}_first_name", _l("Vorname(n)"), autocomplete="given-name" if prefix == "applicant" else ""),
        Field(f"{prefix}_last_name", _l("Familienname"), autocomplete="family-name" if prefix == "applicant" else ""),
        Field(f"{prefix}_birth_date", _l("Geburtsdatum"), DATE,
              autocomplete="bday" if prefix == "applicant" else ""),
        Field(f"{prefix}_tax_id", _l("Steuerliche Identifikationsnummer (Steuer-ID)"), TAX_ID,
              required=tax_required,
              hint=_l("11 Ziffern, zum Beispiel aus Ihrem Einkommensteuerbescheid oder Ihrer Lohnabrechnung.")),
    )


_ADDRESS = (
    Field("street", _l("Straße und Hausnummer"), autocomplete="street-address"),
    Field("postcode", _l("Postleitzahl"), POSTCODE, autocomplete="postal-code"),
    Field("city", _l("Wohnort"), autocomplete="address-level2"),
)
_BANK = Group("bank", _l("Bankverbindung"), (
    Field("iban", _l("IBAN"), IBAN, hint=_l("Deutsche IBAN: 22 Zeichen, beginnt mit DE.")),
    Field("account_holder", _l("Kontoinhaber/in")),
))

FORMS: dict[str, tuple[Group, ...]] = {
    "kindergeld": (
        Group("child", _l("Angaben zum Kind (Anlage Kind)"), (
            Field("child_first_name", _l("Vorname(n) des Kindes")),
            Field("child_last_name", _l("Familienname des Kindes")),
            Field("child_birth_date", _l("Geburtsdatum des Kindes"), DATE),
            Field("child_tax_id", _l("Steuer-ID des Kindes"), TAX_ID, required=False,
                  hint=_l("Das Bundeszentralamt für Steuern schickt sie Ihnen nach der Geburt per Post.")),
            Field("child_tax_id_pending", _l("Die Steuer-ID des Kindes habe ich noch nicht bekommen."), CHECK,
                  required=False),
        )),
        Group("applicant", _l("Antragstellender Elternteil (Antrag KG 1)"), _person("applicant") + _ADDRESS + (
            Field("nationality", _l("Staatsangehörigkeit"), CHOICE,
                  choices=(("de", _l("deutsch")), ("eu", _l("eines anderen EU-Staats")),
                           ("other", _l("eines anderen Staats")))),
            Field("public_service", _l("Ich arbeite im öffentlichen Dienst."), CHECK, required=False),
        )),
        Group("household", _l("Anderer Elternteil und bisheriges Kindergeld"), (
            Field("other_parent_in_household", _l("Der andere Elternteil lebt mit uns im selben Haushalt."),
                  CHECK, required=False),
            Field("other_parent_name", _l("Name des anderen Elternteils"), required=False),
            Field("already_receiving", _l("Ich bekomme schon Kindergeld für ein anderes Kind."), CHECK,
                  required=False),
            Field("kindergeld_number", _l("Kindergeldnummer"), required=False,
                  hint=_l("Nur wenn Sie schon Kindergeld bekommen; sie steht auf Ihren Schreiben der "
                          "Familienkasse.")),
        )),
        _BANK,
    ),
    "elterngeld": (
        Group("child", _l("Angaben zum Kind"), (
            Field("child_first_name", _l("Vorname(n) des Kindes")),
            Field("child_last_name", _l("Familienname des Kindes")),
            Field("child_birth_date", _l("Geburtsdatum des Kindes"), DATE),
            Field("children", _l("Anzahl der geborenen Kinder"), NUMBER, minimum=1, maximum=8,
                  hint=_l("2 bei Zwillingen.")),
        )),
        Group("applicant", _l("Antragstellender Elternteil"), _person("applicant") + _ADDRESS),
        Group("other", _l("Anderer Elternteil und Sorgerecht"), (
            Field("custody", _l("Sorgerecht"), CHOICE,
                  choices=(("joint", _l("Beide Eltern haben das Sorgerecht.")),
                           ("sole", _l("Ich habe das alleinige Sorgerecht.")))),
            Field("other_parent_first_name", _l("Vorname(n) des anderen Elternteils"), required=False),
            Field("other_parent_last_name", _l("Familienname des anderen Elternteils"), required=False),
            Field("other_parent_applies", _l("Der andere Elternteil beantragt ebenfalls Elterngeld."), CHECK,
                  required=False),
        )),
        Group("months", _l("Bezug und Einkommen"), (
            Field("basis_months", _l("Monate mit Basiselterngeld (Sie selbst)"), NUMBER, minimum=0, maximum=14),
            Field("plus_months", _l("Monate mit ElterngeldPlus (Sie selbst)"), NUMBER, minimum=0, maximum=28,
                  hint=_l("Ein Monat Basiselterngeld entspricht zwei Monaten ElterngeldPlus.")),
            Field("income_above_cap", _l("Unser zu versteuerndes Einkommen im letzten Jahr vor der Geburt lag "
                                         "über der Einkommensgrenze."), CHECK, required=False),
            Field("statutory_insurance", _l("Die Mutter ist gesetzlich krankenversichert (Mutterschaftsgeld "
                                            "von der Krankenkasse)."), CHECK, required=False),
        )),
        _BANK,
    ),
}


def fields(kind: str) -> list[Field]:
    return [f for group in FORMS[kind] for f in group.fields]


# -- the check ---------------------------------------------------------------------------------
@dataclass
class Result:
    kind: str
    values: dict                       # cleaned values (dates as date, ints as int, checks as bool)
    errors: dict = field(default_factory=dict)      # field name → message, in the form's order
    warnings: list = field(default_factory=list)
    signatures: list = field(default_factory=list)  # who signs what
    missing: list = field(default_factory=list)     # what is still to be sent in later
    documents: list = field(default_factory=list)
    deadlines: list = field(default_factory=list)   # (label, date)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_date(text: str) -> Optional[date]:
    text = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    return None


TAX_ID_MESSAGES = {
    "format": _l("Die Steuer-ID hat genau 11 Ziffern."),
    "leading_zero": _l("Eine Steuer-ID beginnt nie mit einer 0."),
    "repetition": _l("Diese Ziffernfolge kann keine Steuer-ID sein. Bitte prüfen Sie die Ziffern."),
    "check_digit": _l("Die Prüfziffer (letzte Ziffer) passt nicht. Bitte prüfen Sie die Ziffern."),
}
IBAN_MESSAGES = {
    "format": _l("Eine IBAN beginnt mit dem Ländercode (zum Beispiel DE) und zwei Prüfziffern."),
    "country": _l("Der Ländercode der IBAN ist unbekannt oder gehört nicht zum SEPA-Raum."),
    "length": _l("Die IBAN hat für dieses Land nicht die richtige Länge (in Deutschland 22 Zeichen)."),
    "checksum": _l("Die Prüfziffern der IBAN passen nicht. Bitte prüfen Sie die IBAN."),
}


def check(kind: str, form, today: Optional[date] = None, eur=None) -> Result:
    """Check the posted ``form`` (a mapping of strings) for the application ``kind``; ``eur``
    formats an amount in the page's language."""
    today = today or date.today()
    eur = eur or (lambda amount: f"{amount} €")
    values: dict = {}
    errors: dict = {}
    for f in fields(kind):
        raw = (form.get(f.name) or "").strip()
        if f.type == CHECK:
            values[f.name] = raw in ("1", "on", "true", "yes")
            continue
        if len(raw) > 200:
            errors[f.name] = _("Bitte kürzen Sie die Angabe auf höchstens 200 Zeichen.")
            continue
        if not raw:
            values[f.name] = None
            if f.required:
                errors[f.name] = (_("Bitte wählen Sie eine der Antworten.") if f.type == CHOICE
                                  else _("Bitte füllen Sie das Feld „%(label)s“ aus.", label=f.label))
            continue
        if f.type == DATE:
            day = parse_date(raw)
            if day is None:
                errors[f.name] = _("Bitte geben Sie ein gültiges Datum an, zum Beispiel 10.03.2026.")
            values[f.name] = day
        elif f.type == TAX_ID:
            problem = tax_id_problem(raw)
            if problem:
                errors[f.name] = str(TAX_ID_MESSAGES[problem])
            values[f.name] = compact_digits(raw)
        elif f.type == IBAN:
            problem = iban_problem(raw)
            if problem:
                errors[f.name] = str(IBAN_MESSAGES[problem])
            values[f.name] = compact_iban(raw)
        elif f.type == POSTCODE:
            if not re.fullmatch(r"\d{5}", raw):
                errors[f.name] = _("Eine deutsche Postleitzahl hat 5 Ziffern.")
            values[f.name] = raw
        elif f.type == NUMBER:
            if not raw.isdigit() or not f.minimum <= int(raw) <= f.maximum:
                errors[f.name] = _("Bitte geben Sie eine Zahl von %(min)d bis %(max)d an.",
                                   min=f.minimum, max=f.maximum)
                values[f.name] = None
            else:
                values[f.name] = int(raw)
        elif f.type == CHOICE:
            if raw not in {value for value, _label in f.choices}:
                errors[f.name] = _("Bitte wählen Sie eine der Antworten.")
            values[f.name] = raw
        else:
            values[f.name] = raw

    result = Result(kind, values, errors)
    _check_dates(result, today)
    if kind == "kindergeld":
        _kindergeld(result)
    else:
        _elterngeld(result)
    # the error summary follows the order of the form
    order = [f.name for f in fields(kind)]
    result.errors = {name: result.errors[name] for name in order if name in result.errors}
    if result.ok:
        _plan(result, today, eur)
    return result


def _check_dates(result: Result, today: date) -> None:
    v, errors = result.values, result.errors
    child = v.get("child_birth_date")
    if child and "child_birth_date" not in errors:
        if child > today:
            errors["child_birth_date"] = _("Den Antrag können Sie erst nach der Geburt stellen: Das Geburtsdatum "
                                           "darf nicht in der Zukunft liegen.")
        elif child < COVERAGE_FROM:
            errors["child_birth_date"] = _("Die Hilfe kennt die Regeln für Geburten ab dem %(date)s.",
                                           date=COVERAGE_FROM.strftime("%d.%m.%Y"))
    parent = v.get("applicant_birth_date")
    if parent and "applicant_birth_date" not in errors:
        reference = child if child and "child_birth_date" not in errors else today
        if parent.year < 1900 or parent > today or (reference - parent).days < 12 * 365:
            errors["applicant_birth_date"] = _("Bitte prüfen Sie Ihr Geburtsdatum.")


def _kindergeld(result: Result) -> None:
    v, errors = result.values, result.errors
    if not v.get("child_tax_id") and not v.get("child_tax_id_pending") and "child_tax_id" not in errors:
        errors["child_tax_id"] = _("Bitte geben Sie die Steuer-ID des Kindes an – oder kreuzen Sie an, dass Sie "
                                   "sie noch nicht bekommen haben.")
    if (v.get("child_tax_id") and v.get("applicant_tax_id") and v["child_tax_id"] == v["applicant_tax_id"]
            and "child_tax_id" not in errors):
        errors["child_tax_id"] = _("Das Kind hat eine eigene Steuer-ID, nicht die der Eltern.")
    if v.get("other_parent_in_household") and not v.get("other_parent_name"):
        errors["other_parent_name"] = _("Bitte geben Sie den Namen des anderen Elternteils an.")
    name = _applicant_name(v)
    result.signatures.append(_("%(name)s unterschreibt den Antrag KG 1 und die Anlage Kind.", name=name))
    if v.get("other_parent_in_household"):
        result.signatures.append(_("%(name)s unterschreibt die Erklärung, dass Sie das Kindergeld bekommen "
                                   "sollen (Berechtigtenbestimmung, § 64 Abs. 2 EStG).",
                                   name=v.get("other_parent_name") or _("Der andere Elternteil")))
    if v.get("child_tax_id_pending"):
        result.missing.append(_("Steuer-ID des Kindes: Reichen Sie sie nach, sobald der Brief des "
                                "Bundeszentralamts für Steuern da ist. Ohne sie kann die Familienkasse nicht "
                                "zahlen."))
    if v.get("nationality") == "eu":
        result.missing.append(_("Anlage EU"))
    elif v.get("nationality") == "other":
        result.missing.append(_("Kopie Ihres Aufenthaltstitels"))
    if v.get("already_receiving"):
        result.warnings.append(_("Sie bekommen schon Kindergeld: Für das neue Kind reicht die Anlage Kind."))
    if v.get("public_service"):
        result.warnings.append(_("Im öffentlichen Dienst ist Ihre Familienkasse des öffentlichen Dienstes "
                                 "zuständig."))


def _elterngeld(result: Result) -> None:
    v, errors = result.values, result.errors
    joint = v.get("custody") == "joint"
    if joint:
        for name, label in (("other_parent_first_name", _("Vorname(n) des anderen Elternteils")),
                            ("other_parent_last_name", _("Familienname des anderen Elternteils"))):
            if not v.get(name) and name not in errors:
                errors[name] = _("Bitte füllen Sie das Feld „%(label)s“ aus.", label=label)
    basis, plus = v.get("basis_months"), v.get("plus_months")
    if basis is not None and plus is not None and "basis_months" not in errors and "plus_months" not in errors:
        if basis * 2 + plus < 4:
            errors["basis_months"] = _("Wer Elterngeld bezieht, bezieht es mindestens für 2 Monate (oder 4 Monate "
                                       "ElterngeldPlus).")
    name = _applicant_name(v)
    result.signatures.append(_("%(name)s unterschreibt den Antrag.", name=name))
    if joint:
        other = " ".join(x for x in (v.get("other_parent_first_name"), v.get("other_parent_last_name")) if x)
        result.signatures.append(_("%(name)s unterschreibt ebenfalls – auch wenn nur Sie Elterngeld beziehen "
                                   "(§ 7 Abs. 3 BEEG).", name=other or _("Der andere Elternteil")))
        if v.get("other_parent_applies"):
            result.signatures.append(_("Stellen Sie zwei Anträge, unterschreibt jeder Elternteil auch den Antrag "
                                       "des anderen."))
    else:
        result.warnings.append(_("Mit alleinigem Sorgerecht unterschreiben Sie allein. Legen Sie einen Nachweis "
                                 "bei, wenn die L-Bank ihn verlangt."))
    if v.get("income_above_cap"):
        result.warnings.append(_("Liegt das zu versteuernde Einkommen über der Einkommensgrenze, besteht kein "
                                 "Anspruch auf Elterngeld."))


def _applicant_name(v: dict) -> str:
    return " ".join(x for x in (v.get("applicant_first_name"), v.get("applicant_last_name")) if x) \
        or _("Der antragstellende Elternteil")


def _plan(result: Result, today: date, eur) -> None:
    """Documents and deadlines of the plan step; a warning when the date for full payment has passed."""
    v = result.values
    plan = build_plan(Answers(birth_date=v["child_birth_date"], children=v.get("children") or 1))
    step = next((s for s in plan.steps if s.key == result.kind), None)
    if step is None:
        return
    result.documents = [str(d) for d in step.documents]
    labels = {"recommended": _("Empfohlen bis"), "latest": _("Spätestens")}
    last = None
    for which, day in step.dates():
        result.deadlines.append((labels.get(which, _("Spätestens")), day))
        last = day
    if last and last < today:
        result.warnings.append(_("Die Frist für eine Zahlung ab der Geburt ist schon vorbei. Stellen Sie den "
                                 "Antrag trotzdem sofort: Rückwirkend wird dann nur für einen Teil der Zeit "
                                 "gezahlt."))
    if result.kind == "elterngeld" and v.get("income_above_cap"):
        cap = rule("elterngeld_einkommensgrenze", v["child_birth_date"]).value
        amount = cap["alleinerziehend"] if v.get("custody") == "sole" else cap["paar"]
        result.warnings.append(_("Einkommensgrenze für Geburten an diesem Tag: %(amount)s.", amount=eur(amount)))


# -- the PDF -----------------------------------------------------------------------------------
FONT_DIR = Path(__file__).parent / "static" / "fonts"
SYSTEM_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font(name: str) -> Path:
    for folder in (FONT_DIR, SYSTEM_FONT_DIR):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


def _display(f: Field, value, fmt_date) -> str:
    if value is None or value == "":
        return "–"
    if f.type == DATE:
        return fmt_date(value)
    if f.type == TAX_ID:
        return format_tax_id(value)
    if f.type == IBAN:
        return format_iban(value)
    if f.type == CHECK:
        return _("ja") if value else _("nein")
    if f.type == CHOICE:
        return str(dict(f.choices).get(value, value))
    return str(value)


def summary_pdf(result: Result, fmt_date, today: Optional[date] = None, compress: bool = True) -> bytes:
    """The filled summary of a checked application as PDF bytes (built in memory)."""
    from fpdf import FPDF

    today = today or date.today()
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", str(_font("DejaVuSans.ttf")))  # vendored, licence in static/fonts/LICENSE
    title = _("Zusammenfassung: %(title)s", title=TITLES[result.kind])
    pdf.set_title(title)
    pdf.set_lang("de")
    pdf.set_creator("MAsH Bürgerportal")
    pdf.add_page()
    width = pdf.epw

    def heading(text, size=13):
        pdf.ln(2)
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)

    def line(text, link=""):
        pdf.multi_cell(width, 5.5, text, new_x="LMARGIN", new_y="NEXT", link=link)

    heading(title, 16)
    line(_("Erstellt am %(date)s mit dem Bürgerportal. Das ist noch kein Antrag: Übertragen Sie die Angaben in "
           "den Online-Antrag oder in das Formular und reichen Sie es bei der zuständigen Stelle ein.",
           date=fmt_date(today)))
    for group in FORMS[result.kind]:
        heading(str(group.legend))
        for f in group.fields:
            if f.type == CHECK and not result.values.get(f.name):
                continue
            value = _display(f, result.values.get(f.name), fmt_date)
            line(f"{f.label}: {value}" if f.type != CHECK else f"✓ {f.label}")
    if result.deadlines:
        heading(_("Fristen"))
        for label, day in result.deadlines:
            line(f"{label}: {fmt_date(day)}")
    heading(_("Unterschriften"))
    for text in result.signatures:
        line(f"☐ {text}")
    if result.documents or result.missing:
        heading(_("Unterlagen"))
        for text in result.documents:
            line(f"☐ {text}")
        for text in result.missing:
            line(f"☐ {text}")
    if result.warnings:
        heading(_("Bitte beachten"))
        for text in result.warnings:
            line(f"• {text}")
    heading(_("Online-Antrag und Formulare"))
    for label, url in LINKS[result.kind]:
        line(f"{label}:")
        pdf.set_text_color(0, 0, 160)
        line(url, link=url)
        pdf.set_text_color(0, 0, 0)
    line(str(PHONES[result.kind]))
    return bytes(pdf.output())
