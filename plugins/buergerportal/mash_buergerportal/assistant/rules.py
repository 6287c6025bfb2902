"""The rules of the assistant "Geburt eines Kindes", held as data.

Every rule is a record with the legal reference, a source (from the domain brief
``shared/domain/buergerportal.md`` §§ 4.1–4.11, or the law's page on gesetze-im-internet.de)
and a validity period: ``valid_from``/``valid_to`` refer to the child's **date of birth** (the
law changes by birth cohort — Elterngeld income caps, parallel Basiselterngeld) or, for amounts
paid per month, to the month they are paid for (Kindergeld). ``None`` means "open".

A change in the law is a change of this table — a new version of a rule with a later
``valid_from`` and the old one closed with ``valid_to`` — never a branch in the engine.
``needs_checking`` marks what the brief lists as not yet confirmed against the primary source;
the pages show such rules with a hint. ``last_verified`` is set when an editor checked the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from mash_core.api import _l

from .calendar import HolidayCalendar, HolidayDefinition

#: The assistant plans for births from this date on: the BEEG as reformed for births from
#: 01.09.2021 (the brief's law texts are as of March 2022) plus the later changes it names.
COVERAGE_FROM = date(2021, 9, 1)

# -- units of a period -------------------------------------------------------------------------
DAYS, WEEKS, MONTHS = "days", "weeks", "months"
END_OF_LEBENSMONAT = "end_of_lebensmonat"        # last day of the n-th Lebensmonat
AFTER_LEBENSMONATE = "after_lebensmonate"        # first day after n completed Lebensmonate
END_OF_CALENDAR_MONTH = "end_of_calendar_month"  # last day of the calendar month + n
UNITS = (DAYS, WEEKS, MONTHS, END_OF_LEBENSMONAT, AFTER_LEBENSMONATE, END_OF_CALENDAR_MONTH)


@dataclass(frozen=True)
class Period:
    """``amount`` units from the trigger date (negative: before it)."""

    amount: int
    unit: str

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}")


@dataclass(frozen=True)
class Rule:
    id: str
    value: Any
    legal_ref: str
    source_url: str = ""
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None
    #: move the date off Saturdays, Sundays and Baden-Württemberg holidays (§ 26 Abs. 3 SGB X)
    shift: bool = False
    needs_checking: bool = False
    last_verified: Optional[date] = None
    #: for developers and editors: why the rule looks like this
    note: str = ""

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


BRIEF_HAUFE_BEEG7 = ("https://www.haufe.de/personal/haufe-personal-office-platin/"
                     "tillmannsmutschler-beeg-7-antragstellung-241-fristberechnung_idesk_PI42323_HI2305918.html")
HAUFE_CAP = ("https://www.haufe.de/oeffentlicher-dienst/personal-tarifrecht/"
             "einkommensgrenze-fuer-elterngeld-erneut-gesunken_144_645586.html")
PERSONAL_EXPERTS_2024 = "https://personal-experts.com/die-wesentlichen-neuregelungen-beim-elterngeld-2024-ab-01-04-2024"
L_BANK_ELTERNGELD = ("https://www.l-bank.de/lbank/inhalt/nav/foerderungen-und-finanzierungen/alle-foerderangebote/"
                     "fa-familienfoerderung/elterngeld.xml?ceid=100383")
KINDERGELD_AMOUNTS = ("https://familienapp-kf-oal.de/artikel/finanzielles/"
                      "kindergeld-052a257a-00c5-4192-b4ed-6a1d69af648e")
HEIDELBERG_KITA = "https://www.heidelberg.de/hd/HD/Lernen+und+Forschen/zentrale+vormerkung+kitaplatz.html"
TUEBINGEN_ARCHIVE = "https://webarchiv.tuebingen.de/2023-09-13/verwaltung/verfahren/landeserziehungsgeld"
WUPPERTAL_FRUEHGEBURT = "https://www.wuppertal.de/vv/produkte/208/102370100000115592.php"
BEEG_TEXT_2024 = "https://lexcada.com/akn/de/act/2006-12-05/BEEG/deu/!page_20"


def _gii(law: str, paragraph: str) -> str:
    return f"https://www.gesetze-im-internet.de/{law}/__{paragraph}.html"


RULES: tuple[Rule, ...] = (
    # -- Standesamt (§ 4.1) ----------------------------------------------------------------------
    Rule("geburtsanzeige", Period(1, WEEKS), "§ 18 Abs. 1 PStG", _gii("pstg", "18"), needs_checking=True,
         note="Whether the weekend/holiday shift applies is open (brief §10 item 4); not shifted, "
              "so the plan shows the earlier, safe date."),
    Rule("vornamen", Period(1, MONTHS), "§ 22 Abs. 1 PStG", _gii("pstg", "22"), needs_checking=True,
         note="Shift open (brief §10 item 4); not shifted."),
    # -- Mutterschutz (§ 4.2) --------------------------------------------------------------------
    Rule("mutterschutz_vor_geburt", Period(6, WEEKS), "§ 3 Abs. 1 MuSchG", _gii("muschg_2018", "3"),
         note="The protection period before the expected delivery; days of it lost by an early "
              "birth are added after the birth (§ 3 Abs. 2 MuSchG)."),
    Rule("mutterschutz_nach_geburt", Period(8, WEEKS), "§ 3 Abs. 2 Satz 1 MuSchG", _gii("muschg_2018", "3")),
    Rule("mutterschutz_nach_geburt_verlaengert", Period(12, WEEKS), "§ 3 Abs. 2 Satz 2 MuSchG",
         _gii("muschg_2018", "3"),
         note="Premature births, multiple births, and (on application) a disability diagnosed "
              "within 8 weeks after the birth."),
    Rule("fruehgeburt_angenommen_ab_wochen", 6, "§ 3 Abs. 2 Satz 2 Nr. 1 MuSchG", _gii("muschg_2018", "3"),
         note="Assumption of the assistant when the question 'Frühgeburt laut ärztlichem Zeugnis' "
              "is left open: a child born at least 6 weeks before the due date (i.e. before the "
              "protection period began) counts as premature. The legal test is a medical one."),
    # -- Elterngeld (§ 4.3) ----------------------------------------------------------------------
    Rule("elterngeld_empfohlen", Period(3, END_OF_LEBENSMONAT), "§ 7 Abs. 1 BEEG", BRIEF_HAUFE_BEEG7,
         note="A recommendation (the official texts say 'within three months'), not a legal "
              "deadline: not shifted."),
    Rule("elterngeld_frist", Period(4, END_OF_LEBENSMONAT), "§ 7 Abs. 1 BEEG", BRIEF_HAUFE_BEEG7, shift=True,
         note="Received by the end of LM 4 → paid from the birth (3 Lebensmonate retroactively)."),
    Rule("basiselterngeld_fenster", Period(14, END_OF_LEBENSMONAT), "§ 4 Abs. 1 Satz 3 BEEG", _gii("beeg", "4")),
    Rule("elterngeldplus_fenster", Period(32, END_OF_LEBENSMONAT), "§ 4 Abs. 1 Satz 4 BEEG", _gii("beeg", "4")),
    Rule("basiselterngeld_monate", {"gemeinsam": 12, "partnermonate": 2, "mindestens": 2, "hoechstens": 12},
         "§ 4 Abs. 3 und 4 BEEG", _gii("beeg", "4")),
    Rule("fruehgeburt_zusatzmonate", ((6, 1), (8, 2), (12, 3), (16, 4)), "§ 4 Abs. 5 BEEG", WUPPERTAL_FRUEHGEBURT,
         valid_from=date(2021, 9, 1),
         note="(weeks born before the due date, extra Basiselterngeld months). The Basis window "
              "and each parent's maximum grow by the same number of months; ElterngeldPlus stays "
              "until the end of LM 32 but must run without a gap from the month after the longer "
              "Basis window (§ 4 Abs. 5 Satz 2 BEEG, text at " + BEEG_TEXT_2024 + ")."),
    Rule("paralleler_basisbezug", {"hoechstens_monate": 1, "nur_bis_lebensmonat": 12,
                                       "ausnahme_ab_wochen_frueher": 6}, "§ 4 BEEG",
         PERSONAL_EXPERTS_2024, valid_from=date(2024, 4, 1), needs_checking=True,
         note="Both parents at the same time: at most one month, within LM 1–12. Not for "
              "multiple births, births at least 6 weeks early, children with a disability "
              "(ElterngeldPlus and Partnerschaftsbonus are exempt too). Brief: check §§ 1, 4 BEEG."),
    Rule("elterngeld_betrag", {"mindestens": 300, "hoechstens": 1800}, "§ 2 BEEG", _gii("beeg", "2")),
    Rule("elterngeld_mehrlingszuschlag", 300, "§ 2a Abs. 4 BEEG", _gii("beeg", "2a"),
         note="Per month and per additional child of a multiple birth."),
    Rule("elterngeld_einkommensgrenze", {"alleinerziehend": 250_000, "paar": 300_000}, "§ 1 Abs. 8 BEEG",
         _gii("beeg", "1"), valid_to=date(2024, 3, 31), needs_checking=True),
    Rule("elterngeld_einkommensgrenze", {"alleinerziehend": 200_000, "paar": 200_000}, "§ 1 Abs. 8 BEEG",
         HAUFE_CAP, valid_from=date(2024, 4, 1), valid_to=date(2025, 3, 31), needs_checking=True),
    Rule("elterngeld_einkommensgrenze", {"alleinerziehend": 175_000, "paar": 175_000}, "§ 1 Abs. 8 BEEG",
         HAUFE_CAP, valid_from=date(2025, 4, 1), needs_checking=True),
    # -- Mehrlinge (§ 4.4) -----------------------------------------------------------------------
    Rule("mehrlingszuschuss", Period(12, MONTHS), "service-bw Leistung 6778", TUEBINGEN_ARCHIVE,
         needs_checking=True, note="Shift open (brief §10 item 4); not shifted."),
    Rule("mehrlingszuschuss_betrag", {"je_kind": 2500, "ab_kindern": 3}, "service-bw Leistung 6778",
         TUEBINGEN_ARCHIVE),
    # -- Elternzeit (§ 4.5) ----------------------------------------------------------------------
    Rule("elternzeit_anmeldung", Period(-7, WEEKS), "§ 16 Abs. 1 Satz 1 Nr. 1 BEEG", _gii("beeg", "16"),
         note="Elternzeit starting before the 3rd birthday."),
    Rule("elternzeit_anmeldung_ab_3", Period(-13, WEEKS), "§ 16 Abs. 1 Satz 1 Nr. 2 BEEG", _gii("beeg", "16"),
         note="Elternzeit between the 3rd and the 8th birthday."),
    Rule("elternzeit_dritter_geburtstag", Period(36, AFTER_LEBENSMONATE), "§ 15 Abs. 2 BEEG", _gii("beeg", "15")),
    Rule("elternzeit_achter_geburtstag", Period(96, AFTER_LEBENSMONATE), "§ 15 Abs. 2 BEEG", _gii("beeg", "15")),
    # -- Kindergeld (§ 4.6) ----------------------------------------------------------------------
    Rule("kindergeld_rueckwirkend", Period(6, END_OF_CALENDAR_MONTH), "§ 70 Abs. 1 Satz 2 EStG",
         _gii("estg", "70"), needs_checking=True,
         note="Paid back only for the six months before the month the application arrives in: "
              "to get the birth month it must arrive by the end of birth month + 6. Not shifted — "
              "an application arriving on the 1st of the next month is a month late."),
    Rule("kindergeld_betrag", 255, "§ 66 Abs. 1 EStG", KINDERGELD_AMOUNTS,
         valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31),
         note="Per child and month; validity by the month paid for."),
    Rule("kindergeld_betrag", 259, "§ 66 Abs. 1 EStG", KINDERGELD_AMOUNTS, valid_from=date(2026, 1, 1)),
    # -- Kita (§§ 4.7, 4.8) ----------------------------------------------------------------------
    Rule("kita_anspruch", Period(12, AFTER_LEBENSMONATE), "§ 24 Abs. 2 SGB VIII", _gii("sgb_8", "24")),
    Rule("kita_bedarf_anmelden", Period(-6, MONTHS), "§ 3 Abs. 2a KiTaG BW", "", needs_checking=True,
         note="Believed to say 'in der Regel sechs Monate' before the place is used (brief §4.7)."),
    Rule("kita_jahr", {"beginn": (9, 1), "vormerkung_ab_monate_vorher": 12, "vergabe_ab": (2, 15)},
         "Zentrale Vormerkung Heidelberg", HEIDELBERG_KITA,
         note="Kindergartenjahr 1 Sept – 31 Aug; registration for year N/N+1 opens 1 Sept N-1; "
              "the Kitas allocate from 15 Feb N."),
    Rule("kita_betreuung_bis", Period(84, AFTER_LEBENSMONATE), "§ 24 Abs. 3 SGB VIII", _gii("sgb_8", "24"),
         note="Upper bound the assistant accepts for the wished start of care (7th birthday)."),
    # -- Fristverschiebung -------------------------------------------------------------------------
    Rule("fristende_werktag", True, "§ 26 Abs. 3 SGB X", _gii("sgb_10", "26"),
         note="A deadline ending on a Saturday, Sunday or public holiday ends on the next working day."),
)

#: Public holidays of Baden-Württemberg (§ 1 Feiertagsgesetz BW); the shift looks them up.
HOLIDAYS: tuple[HolidayDefinition, ...] = (
    HolidayDefinition("neujahr", _l("Neujahr"), month=1, day=1),
    HolidayDefinition("heilige_drei_koenige", _l("Heilige Drei Könige"), month=1, day=6),
    HolidayDefinition("karfreitag", _l("Karfreitag"), easter_offset=-2),
    HolidayDefinition("ostermontag", _l("Ostermontag"), easter_offset=1),
    HolidayDefinition("tag_der_arbeit", _l("Tag der Arbeit"), month=5, day=1),
    HolidayDefinition("christi_himmelfahrt", _l("Christi Himmelfahrt"), easter_offset=39),
    HolidayDefinition("pfingstmontag", _l("Pfingstmontag"), easter_offset=50),
    HolidayDefinition("fronleichnam", _l("Fronleichnam"), easter_offset=60),
    HolidayDefinition("tag_der_deutschen_einheit", _l("Tag der Deutschen Einheit"), month=10, day=3),
    HolidayDefinition("allerheiligen", _l("Allerheiligen"), month=11, day=1),
    HolidayDefinition("erster_weihnachtstag", _l("1. Weihnachtstag"), month=12, day=25),
    HolidayDefinition("zweiter_weihnachtstag", _l("2. Weihnachtstag"), month=12, day=26),
)

BW_HOLIDAYS = HolidayCalendar(HOLIDAYS)


class RuleNotFound(LookupError):
    pass


def versions(rule_id: str, rules: tuple[Rule, ...] = RULES) -> list[Rule]:
    """All versions of a rule, oldest first."""
    return sorted((r for r in rules if r.id == rule_id), key=lambda r: r.valid_from or date.min)


def rule(rule_id: str, on: date, rules: tuple[Rule, ...] = RULES) -> Rule:
    """The version of ``rule_id`` valid on ``on``; :class:`RuleNotFound` if there is none."""
    found = [r for r in rules if r.id == rule_id and r.valid_on(on)]
    if not found:
        raise RuleNotFound(f"no rule {rule_id!r} valid on {on.isoformat()}")
    if len(found) > 1:
        raise RuleNotFound(f"rule {rule_id!r} has {len(found)} overlapping versions on {on.isoformat()}")
    return found[0]


def optional_rule(rule_id: str, on: date, rules: tuple[Rule, ...] = RULES) -> Optional[Rule]:
    try:
        return rule(rule_id, on, rules)
    except RuleNotFound:
        return None
