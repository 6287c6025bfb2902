"""The planner: answers of the questionnaire → a personal plan of steps with dates.

Which steps a family gets depends on its answers (code); every period, amount, cap and its
validity comes from :mod:`.rules` (data), every text from :mod:`.content`. Nothing is stored:
:func:`build_plan` is a pure function of the answers and ``today``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from mash_core.api import _, ngettext

from . import calendar as cal
from .content import TEXTS
from .rules import (AFTER_LEBENSMONATE, BW_HOLIDAYS, DAYS, END_OF_CALENDAR_MONTH, END_OF_LEBENSMONAT, MONTHS,
                    RULES, WEEKS, Period, Rule, optional_rule, rule, versions)

DEADLINE = "deadline"              # a legal deadline: act by this day
RECOMMENDATION = "recommendation"  # no legal deadline, but best done by then
PERIOD_END = "period_end"          # a period ends (Mutterschutz, Elterngeld windows)
START = "start"                    # an entitlement starts

#: the order of steps falling on the same day
ORDER = ("vaterschaft", "elternzeit", "geburtsanzeige", "vornamen", "mutterschutz_ende", "elterngeld",
         "mehrlingszuschuss", "kita_vormerkung", "kindergeld", "kita_anspruch", "basiselterngeld_ende",
         "elterngeldplus_ende")


def apply_period(period: Period, trigger: date) -> date:
    """The date ``period`` after (or, if negative, before) ``trigger``."""
    n = period.amount
    if period.unit == DAYS:
        return cal.add_days(trigger, n)
    if period.unit == WEEKS:
        return cal.add_weeks(trigger, n)
    if period.unit == MONTHS:
        return cal.add_months(trigger, n)
    if period.unit == END_OF_LEBENSMONAT:
        return cal.end_of_lebensmonat(trigger, n)
    if period.unit == AFTER_LEBENSMONATE:
        return cal.after_lebensmonate(trigger, n)
    if period.unit == END_OF_CALENDAR_MONTH:
        return cal.end_of_calendar_month(trigger, n)
    raise ValueError(period.unit)


@dataclass(frozen=True)
class Answers:
    """The questionnaire. Only questions that change the plan (data minimisation)."""

    birth_date: date
    children: int = 1
    #: born this many weeks before the expected date of delivery
    weeks_early: int = 0
    #: premature birth in the medical sense (Mutterschutz 12 weeks); None: not answered
    premature: Optional[bool] = None
    #: a disability of the child diagnosed within 8 weeks (Mutterschutz 12 weeks on application)
    disability: bool = False
    home_birth: bool = False
    married: bool = True
    #: the mother is employed, in training or studying (Mutterschutz applies)
    mother_employed: bool = True
    #: an employed parent wants Elternzeit
    elternzeit: bool = True
    elternzeit_start: Optional[date] = None
    #: the taxable income is above the Elterngeld cap for the birth date (asked yes/no only)
    income_above_cap: bool = False
    #: when childcare is wanted (default: the first birthday)
    care_start: Optional[date] = None

    @property
    def expected_date(self) -> date:
        return self.birth_date + timedelta(weeks=self.weeks_early)


@dataclass
class Fact:
    """A labelled value of a step: a date, an amount in euros, or a short text (``since``: from when)."""

    label: object
    date: Optional[date] = None
    eur: Optional[int] = None
    text: Optional[object] = None
    since: Optional[date] = None


@dataclass
class Shift:
    """A deadline moved to the next working day: the computed day and the days skipped."""

    original: date
    skipped: list  # [(day, HolidayDefinition | "saturday" | "sunday")]

    def reasons(self) -> list[str]:
        names = {"saturday": _("Samstag"), "sunday": _("Sonntag")}
        return [names[r] if isinstance(r, str) else str(r.name) for _day, r in self.skipped]


@dataclass
class Notice:
    text: object
    facts: list = field(default_factory=list)


@dataclass
class Step:
    key: str
    title: object
    office: object
    legal_basis: object
    kind: str
    due: Optional[date] = None
    recommended: Optional[date] = None
    latest: Optional[date] = None
    description: object = ""
    documents: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    shift: Optional[Shift] = None
    rules: list = field(default_factory=list)
    links: list = field(default_factory=list)

    @property
    def date(self) -> date:
        """The date the step is filed under: the single date, or the latest one."""
        return self.due or self.latest

    def dates(self) -> list[tuple[str, date]]:
        if self.due:
            return [("due", self.due)]
        return [("recommended", self.recommended), ("latest", self.latest)]

    def to_dict(self) -> dict:
        """Plain data (strings, dates, ints); keys without a value are left out, so a step has
        either ``due`` or ``recommended`` and ``latest``."""
        data = {"key": self.key, "title": str(self.title), "office": str(self.office),
                "legal_basis": str(self.legal_basis), "kind": self.kind}
        for name, value in self.dates():
            data[name] = value
        data.update(description=str(self.description), documents=[str(d) for d in self.documents],
                    notes=[str(n) for n in self.notes], facts=[_fact_dict(f) for f in self.facts],
                    links=[{"title": str(label), "url": url} for label, url in self.links],
                    sources=[_source_dict(r) for r in self.rules])
        if self.shift:
            data["shifted"] = {"from": self.shift.original, "reasons": self.shift.reasons()}
        return data


def _fact_dict(fact: Fact) -> dict:
    data = {"label": str(fact.label)}
    if fact.date is not None:
        data["date"] = fact.date
    if fact.eur is not None:
        data["eur"] = fact.eur
    if fact.text is not None:
        data["text"] = str(fact.text)
    if fact.since is not None:
        data["since"] = fact.since
    return data


def _source_dict(r: Rule) -> dict:
    data = {"rule": r.id, "legal_ref": r.legal_ref, "url": r.source_url, "needs_checking": r.needs_checking}
    for name in ("valid_from", "valid_to", "last_verified"):
        if getattr(r, name) is not None:
            data[name] = getattr(r, name)
    return data


@dataclass
class Plan:
    answers: Answers
    steps: list
    notices: list

    def step(self, key: str) -> Optional[Step]:
        return next((s for s in self.steps if s.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.steps]

    def to_dict(self) -> dict:
        a = self.answers
        data = {"birth_date": a.birth_date, "children": a.children, "steps": [s.to_dict() for s in self.steps],
                "notices": [{"text": str(n.text), "facts": [_fact_dict(f) for f in n.facts]} for n in self.notices]}
        if a.weeks_early:
            data["expected_date"] = a.expected_date
        return data


class Planner:
    def __init__(self, answers: Answers, rules: tuple = RULES, holidays=BW_HOLIDAYS, today: Optional[date] = None):
        self.a = answers
        self.rules = rules
        self.holidays = holidays
        self.today = today or date.today()

    # -- rule access ---------------------------------------------------------------------------
    def rule(self, rule_id: str, on: Optional[date] = None) -> Rule:
        """The version of a rule valid for this child (by default: on the date of birth)."""
        return rule(rule_id, on or self.a.birth_date, self.rules)

    def optional_rule(self, rule_id: str, on: Optional[date] = None) -> Optional[Rule]:
        return optional_rule(rule_id, on or self.a.birth_date, self.rules)

    def compute(self, step: Step, rule_id: str, trigger: Optional[date] = None,
                period: Optional[Period] = None) -> date:
        """The date of ``rule_id`` from ``trigger`` (default: the birth), shifted off weekends and
        holidays when the rule says so; the rules used are recorded as the step's sources."""
        r = self.rule(rule_id)
        self._use(step, r)
        when = apply_period(period or r.value, trigger or self.a.birth_date)
        if r.shift:
            moved, skipped = self.holidays.next_working_day(when)
            if skipped:
                step.shift = Shift(when, skipped)
                self._use(step, self.rule("fristende_werktag"))
            when = moved
        return when

    @staticmethod
    def _use(step: Step, r: Rule) -> None:
        if r not in step.rules:
            step.rules.append(r)

    def new_step(self, key: str, kind: str, text_key: Optional[str] = None) -> Step:
        t = TEXTS[text_key or key]
        return Step(key=key, title=t.title, office=t.office, legal_basis=t.legal_basis, kind=kind,
                    description=t.description, documents=list(t.documents), notes=list(t.notes),
                    links=list(t.links))

    # -- the plan --------------------------------------------------------------------------------
    def build(self) -> Plan:
        a = self.a
        steps: list[Step] = []
        notices: list[Notice] = []
        if a.birth_date > self.today:
            notices.append(Notice(_("Ihr Kind ist noch nicht geboren: Der Plan rechnet mit dem Datum, das Sie "
                                    "angegeben haben. Kommt Ihr Kind an einem anderen Tag, verschieben sich die "
                                    "Daten – erstellen Sie den Plan nach der Geburt neu.")))
        if not a.married:
            steps.append(self.vaterschaft())
        steps.append(self.geburtsanzeige())
        steps.append(self.vornamen())
        mutterschutz = None
        if a.mother_employed:
            mutterschutz = self.mutterschutz()
            steps.append(mutterschutz)
        else:
            notices.append(Notice(_("Die Mutterschutzfristen gelten für Frauen, die beschäftigt sind, eine "
                                    "Ausbildung machen oder studieren. Deshalb enthält Ihr Plan keinen Schritt "
                                    "zum Mutterschutz.")))
        if a.elternzeit:
            steps.append(self.elternzeit(mutterschutz))
        elterngeld = None
        if a.income_above_cap:
            cap = self.rule("elterngeld_einkommensgrenze")
            notices.append(Notice(_("Sie haben angegeben, dass Ihr zu versteuerndes Einkommen über der "
                                    "Einkommensgrenze für Ihr Kind liegt. Dann gibt es kein Elterngeld; die "
                                    "Schritte zum Elterngeld fehlen deshalb in Ihrem Plan."),
                                  self.cap_facts(cap)))
        else:
            elterngeld = self.elterngeld()
            steps += [elterngeld, *self.elterngeld_windows()]
        multiple = self.mehrlinge(elterngeld)
        if multiple:
            steps.append(multiple)
        steps.append(self.kindergeld())
        kita_anspruch = self.kita_anspruch()
        steps += [self.kita_vormerkung(kita_anspruch.due), kita_anspruch]
        steps.sort(key=lambda s: (s.date, ORDER.index(s.key)))
        return Plan(a, steps, notices)

    def vaterschaft(self) -> Step:
        step = self.new_step("vaterschaft", RECOMMENDATION)
        step.due = self.a.birth_date
        return step

    def geburtsanzeige(self) -> Step:
        step = self.new_step("geburtsanzeige", DEADLINE)
        step.due = self.compute(step, "geburtsanzeige")
        if self.a.home_birth:
            step.description = _("Bei einer Geburt zu Hause zeigt jeder sorgeberechtigte Elternteil die Geburt "
                                 "mündlich beim Standesamt des Geburtsorts an. Andere Personen, die bei der "
                                 "Geburt dabei waren, müssen das nur tun, wenn die Eltern verhindert sind.")
            step.legal_basis = "§ 18 Abs. 1, § 19 PStG"
        else:
            step.description = _("Kommt Ihr Kind in einer Klinik oder einer anderen Einrichtung der Geburtshilfe "
                                 "zur Welt, zeigt die Einrichtung die Geburt schriftlich beim Standesamt an. "
                                 "Geben Sie der Klinik die Unterlagen dafür mit.")
            step.legal_basis = "§ 18 Abs. 1, § 20 PStG"
        return step

    def vornamen(self) -> Step:
        step = self.new_step("vornamen", DEADLINE)
        step.due = self.compute(step, "vornamen")
        return step

    def is_premature(self) -> bool:
        if self.a.premature is not None:
            return self.a.premature
        return self.a.weeks_early >= self.rule("fruehgeburt_angenommen_ab_wochen").value

    def mutterschutz(self) -> Step:
        a = self.a
        step = self.new_step("mutterschutz_ende", PERIOD_END)
        reasons = []
        if self.is_premature():
            reasons.append(_("Frühgeburt"))
        if a.children >= 2:
            reasons.append(_("Mehrlingsgeburt"))
        if a.disability:
            reasons.append(_("Behinderung des Kindes, auf Antrag"))
        rule_id = "mutterschutz_nach_geburt_verlaengert" if reasons else "mutterschutz_nach_geburt"
        end = self.compute(step, rule_id)
        weeks = self.rule(rule_id).value.amount
        if reasons:
            step.description = _("Nach der Geburt darf die Mutter %(weeks)d Wochen lang nicht beschäftigt werden "
                                 "(Schutzfrist). In Ihrem Fall gilt die längere Frist: %(reasons)s.",
                                 weeks=weeks, reasons=", ".join(str(r) for r in reasons))
        else:
            step.description = _("Nach der Geburt darf die Mutter %(weeks)d Wochen lang nicht beschäftigt werden "
                                 "(Schutzfrist).", weeks=weeks)
        # days of the protection period before the expected delivery lost by an early birth
        before = self.rule("mutterschutz_vor_geburt")
        protection_start = apply_period(Period(-before.value.amount, before.value.unit), a.expected_date)
        lost = max(0, (a.expected_date - max(a.birth_date, protection_start)).days)
        if lost:
            self._use(step, before)
            end = cal.add_days(end, lost)
            step.notes.insert(0, ngettext(
                "Ihr Kind kam vor dem errechneten Termin: Die Schutzfrist verlängert sich um %(num)d Tag, "
                "der vor der Geburt nicht genommen werden konnte.",
                "Ihr Kind kam vor dem errechneten Termin: Die Schutzfrist verlängert sich um die %(num)d Tage, "
                "die vor der Geburt nicht genommen werden konnten.", lost))
        if a.disability:
            step.notes.insert(0, _("Die Verlängerung wegen einer Behinderung des Kindes beantragen Sie beim "
                                   "Arbeitgeber."))
        step.due = end
        return step

    def elternzeit(self, mutterschutz: Optional[Step]) -> Step:
        a = self.a
        step = self.new_step("elternzeit", DEADLINE)
        start = a.elternzeit_start or a.expected_date
        third_birthday = self.compute(step, "elternzeit_dritter_geburtstag")
        step.due = self.compute(step, "elternzeit_anmeldung" if start < third_birthday else "elternzeit_anmeldung_ab_3",
                                trigger=start)
        if a.elternzeit_start:
            step.facts.append(Fact(_("Gewünschter Beginn der Elternzeit"), date=start))
        else:
            step.notes.append(_("Das Datum gilt für eine Elternzeit ab der Geburt, zum Beispiel für den Vater: "
                                "Er meldet sie 7 Wochen vor dem errechneten Geburtstermin an. Geben Sie im "
                                "Fragebogen einen anderen Beginn an, wenn Sie später starten."))
            if mutterschutz is not None:
                after = cal.add_days(mutterschutz.due, 1)
                step.facts.append(Fact(_("Elternzeit der Mutter direkt nach dem Mutterschutz: anmelden bis"),
                                       date=self.compute(step, "elternzeit_anmeldung", trigger=after)))
        step.facts.append(Fact(_("Dritter Geburtstag (danach 13 Wochen Anmeldefrist)"), date=third_birthday))
        return step

    def cap_facts(self, cap: Rule) -> list[Fact]:
        value = cap.value
        since = cap.valid_from
        if value["alleinerziehend"] == value["paar"]:
            return [Fact(_("Einkommensgrenze (zu versteuerndes Einkommen) für Ihr Kind"), eur=value["paar"],
                         since=since)]
        return [Fact(_("Einkommensgrenze für Alleinerziehende"), eur=value["alleinerziehend"], since=since),
                Fact(_("Einkommensgrenze für Paare"), eur=value["paar"], since=since)]

    def elterngeld(self) -> Step:
        a = self.a
        step = self.new_step("elterngeld", DEADLINE)
        step.recommended = self.compute(step, "elterngeld_empfohlen")
        step.latest = self.compute(step, "elterngeld_frist")
        amount = self.rule("elterngeld_betrag")
        self._use(step, amount)
        step.facts += [Fact(_("Elterngeld im Monat mindestens"), eur=amount.value["mindestens"]),
                       Fact(_("Elterngeld im Monat höchstens"), eur=amount.value["hoechstens"])]
        if a.children >= 2:
            extra = self.rule("elterngeld_mehrlingszuschlag")
            self._use(step, extra)
            step.facts.append(Fact(_("Mehrlingszuschlag je weiterem Kind und Monat"), eur=extra.value))
        cap = self.rule("elterngeld_einkommensgrenze")
        self._use(step, cap)
        step.facts += self.cap_facts(cap)
        return step

    def basis_extra_months(self) -> tuple[int, int]:
        """Extra Basiselterngeld months for a premature birth: (months, weeks threshold reached)."""
        r = self.optional_rule("fruehgeburt_zusatzmonate")
        extra, threshold = 0, 0
        if r is not None:
            for weeks, months in r.value:
                if self.a.weeks_early >= weeks:
                    extra, threshold = months, weeks
        return extra, threshold

    def elterngeld_windows(self) -> list[Step]:
        a = self.a
        extra, threshold = self.basis_extra_months()
        basis = self.new_step("basiselterngeld_ende", PERIOD_END)
        window = self.rule("basiselterngeld_fenster").value
        basis_months = window.amount + extra
        basis.due = self.compute(basis, "basiselterngeld_fenster", period=Period(basis_months, window.unit))
        months = self.rule("basiselterngeld_monate")
        self._use(basis, months)
        m = months.value
        basis.description = _("Basiselterngeld können Sie bis zum Ende des %(month)d. Lebensmonats beziehen.",
                              month=basis_months)
        basis.notes[:0] = [
            _("Die Eltern haben zusammen Anspruch auf %(months)d Monatsbeträge Basiselterngeld, dazu %(partner)d "
              "Partnermonate, wenn das Einkommen eines Elternteils in zwei Lebensmonaten sinkt.",
              months=m["gemeinsam"] + extra, partner=m["partnermonate"]),
            _("Jeder Elternteil bezieht mindestens %(min)d und höchstens %(max)d Monatsbeträge.",
              min=m["mindestens"], max=m["hoechstens"] + extra)]
        if extra:
            self._use(basis, self.rule("fruehgeburt_zusatzmonate"))
            basis.notes.insert(0, ngettext(
                "Ihr Kind kam mindestens %(weeks)d Wochen vor dem errechneten Termin: Sie bekommen %(num)d "
                "zusätzlichen Monatsbetrag Basiselterngeld, und der Bezugszeitraum verlängert sich entsprechend.",
                "Ihr Kind kam mindestens %(weeks)d Wochen vor dem errechneten Termin: Sie bekommen %(num)d "
                "zusätzliche Monatsbeträge Basiselterngeld, und der Bezugszeitraum verlängert sich entsprechend.",
                extra, weeks=threshold))
        parallel = self.optional_rule("paralleler_basisbezug")
        if parallel is not None:
            self._use(basis, parallel)
            p = parallel.value
            exempt = a.children >= 2 or a.disability or a.weeks_early >= p["ausnahme_ab_wochen_frueher"]
            if exempt:
                basis.notes.append(_("Beide Eltern können auch länger gleichzeitig Basiselterngeld beziehen: Die "
                                     "Grenze für den gleichzeitigen Bezug gilt bei Mehrlingen, bei Frühgeburten "
                                     "und bei Kindern mit Behinderung nicht."))
            else:
                basis.notes.append(ngettext(
                    "Gleichzeitig können beide Eltern höchstens %(num)d Monat lang Basiselterngeld beziehen, und "
                    "nur bis zum Ende des %(month)d. Lebensmonats. Für ElterngeldPlus und den Partnerschaftsbonus "
                    "gilt diese Grenze nicht.",
                    "Gleichzeitig können beide Eltern höchstens %(num)d Monate lang Basiselterngeld beziehen, und "
                    "nur bis zum Ende des %(month)d. Lebensmonats. Für ElterngeldPlus und den Partnerschaftsbonus "
                    "gilt diese Grenze nicht.", p["hoechstens_monate"], month=p["nur_bis_lebensmonat"]))
                basis.facts.append(Fact(_("Gleichzeitiger Bezug von Basiselterngeld nur bis"),
                                        date=cal.end_of_lebensmonat(a.birth_date, p["nur_bis_lebensmonat"])))

        plus = self.new_step("elterngeldplus_ende", PERIOD_END)
        plus.due = self.compute(plus, "elterngeldplus_fenster")
        plus_months = self.rule("elterngeldplus_fenster").value.amount
        plus.description = _("ElterngeldPlus können Sie bis zum Ende des %(month)d. Lebensmonats beziehen – nach "
                             "dem %(basis)d. Lebensmonat aber nur, solange mindestens ein Elternteil es ohne "
                             "Unterbrechung bezieht.", month=plus_months, basis=basis_months)
        plus.facts.append(Fact(_("ElterngeldPlus ohne Unterbrechung ab"),
                               date=cal.start_of_lebensmonat(a.birth_date, basis_months + 1)))
        if extra:
            self._use(plus, self.rule("fruehgeburt_zusatzmonate"))
        return [basis, plus]

    def mehrlinge(self, elterngeld: Optional[Step]) -> Optional[Step]:
        a = self.a
        if a.children < 2:
            return None
        grant = self.rule("mehrlingszuschuss_betrag")
        if a.children >= grant.value["ab_kindern"]:
            step = self.new_step("mehrlingszuschuss", DEADLINE)
            step.due = self.compute(step, "mehrlingszuschuss")
            self._use(step, grant)
            step.facts += [Fact(_("Zuschuss je Kind"), eur=grant.value["je_kind"]),
                           Fact(_("Zuschuss insgesamt"), eur=grant.value["je_kind"] * a.children)]
            if elterngeld is None:
                step.notes = []
            else:
                extra = self.rule("elterngeld_mehrlingszuschlag")
                self._use(step, extra)
                step.facts.append(Fact(_("Mehrlingszuschlag zum Elterngeld je weiterem Kind und Monat"),
                                       eur=extra.value))
            return step
        if elterngeld is None:
            return None  # twins: the supplement comes with Elterngeld, and there is none
        step = self.new_step("mehrlingszuschuss", DEADLINE, text_key="mehrlingszuschlag")
        step.recommended, step.latest, step.shift = elterngeld.recommended, elterngeld.latest, elterngeld.shift
        extra = self.rule("elterngeld_mehrlingszuschlag")
        for r in elterngeld.rules:
            if r.id in ("elterngeld_empfohlen", "elterngeld_frist", "fristende_werktag"):
                self._use(step, r)
        self._use(step, extra)
        step.facts.append(Fact(_("Mehrlingszuschlag je weiterem Kind und Monat"), eur=extra.value))
        step.facts.append(Fact(_("Mehrlingszuschlag im Monat insgesamt"), eur=extra.value * (a.children - 1)))
        return step

    def kindergeld(self) -> Step:
        a = self.a
        step = self.new_step("kindergeld", DEADLINE)
        step.due = self.compute(step, "kindergeld_rueckwirkend")
        birth_month = a.birth_date.replace(day=1)
        for version in versions("kindergeld_betrag", self.rules):
            if version.valid_to is not None and version.valid_to < birth_month:
                continue
            self._use(step, version)
            since = max(birth_month, version.valid_from or birth_month)
            step.facts.append(Fact(_("Kindergeld je Kind und Monat"), eur=version.value, since=since))
        return step

    def kita_anspruch(self) -> Step:
        step = self.new_step("kita_anspruch", START)
        step.due = self.compute(step, "kita_anspruch")
        return step

    def kita_vormerkung(self, first_birthday: date) -> Step:
        a = self.a
        step = self.new_step("kita_vormerkung", DEADLINE)
        care = a.care_start or first_birthday
        notice = self.compute(step, "kita_bedarf_anmelden", trigger=care)
        year = self.rule("kita_jahr")
        self._use(step, year)
        month, day = year.value["beginn"]
        first_year = care.year if (care.month, care.day) >= (month, day) else care.year - 1
        year_start = date(first_year, month, day)
        opens = cal.add_months(year_start, -year.value["vormerkung_ab_monate_vorher"])
        allocation = date(first_year, *year.value["vergabe_ab"])
        step.recommended = max(a.birth_date, opens)
        step.latest = max(notice, step.recommended)
        step.facts += [
            Fact(_("Gewünschter Beginn der Betreuung"), date=care),
            Fact(_("Kindergartenjahr"), text=f"{first_year}/{(first_year + 1) % 100:02d}"),
            Fact(_("Vormerkung für dieses Kindergartenjahr möglich ab"), date=opens),
            Fact(_("Platzvergabe für dieses Kindergartenjahr ab"), date=allocation),
        ]
        if notice < step.recommended:
            step.notes.insert(0, _("Die Anmeldefrist von sechs Monaten lässt sich nicht mehr einhalten. Melden Sie "
                                   "Ihren Bedarf so bald wie möglich an."))
        if allocation < step.recommended:
            step.notes.insert(0, _("Die Platzvergabe für dieses Kindergartenjahr hat schon begonnen; Ihr Kind kommt "
                                   "in die laufende Vergabe. Wie spät eingehende Vormerkungen berücksichtigt "
                                   "werden, erfragen Sie beim Kinder- und Jugendamt."))
        return step


def build_plan(answers: Answers, today: Optional[date] = None, rules: tuple = RULES) -> Plan:
    """The personal plan for ``answers`` (``today`` only decides whether the birth is still ahead)."""
    return Planner(answers, rules=rules, today=today).build()
