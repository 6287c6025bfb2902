"""What the plan says about each step: titles, offices, documents and explanations.

Texts only — every date and amount comes from :mod:`.rules`. Source: the domain brief
``shared/domain/buergerportal.md`` §§ 4.1–4.10 (Standesamt, Mutterschutz, Elterngeld in
Baden-Württemberg, Mehrlinge, Elternzeit, Kindergeld, Kita, Heidelberg's Zentrale Vormerkung).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mash_core.api import _l

from .rules import HEIDELBERG_KITA, L_BANK_ELTERNGELD


@dataclass(frozen=True)
class StepText:
    title: object
    office: object
    legal_basis: str
    description: object = ""
    documents: tuple = ()
    notes: tuple = ()
    links: tuple = field(default_factory=tuple)  # (label, url)


L_BANK = _l("L-Bank, Familienförderung, 76113 Karlsruhe")
STANDESAMT = _l("Standesamt des Geburtsorts")
JUGENDAMT_HD = _l("Stadt Heidelberg, Kinder- und Jugendamt")

TEXTS: dict[str, StepText] = {
    "vaterschaft": StepText(
        title=_l("Vaterschaft anerkennen und gemeinsame Sorge erklären"),
        office=_l("Jugendamt (kostenfrei), Standesamt (kostenfrei) oder Notariat (gebührenpflichtig)"),
        legal_basis="§§ 1594–1597, 1626a BGB",
        description=_l("Sind die Eltern nicht miteinander verheiratet, kann der Vater die Vaterschaft schon "
                       "vor der Geburt anerkennen. Die Mutter muss zustimmen, und beide Erklärungen müssen "
                       "öffentlich beurkundet werden. Ist die Vaterschaft vor der Geburt anerkannt, wird der "
                       "Vater gleich im Geburtenregister und in der Geburtsurkunde eingetragen."),
        notes=(_l("Es gibt keine gesetzliche Frist. Am besten erledigen Sie es vor der Geburt, sonst so bald "
                  "wie möglich."),
               _l("Die Sorgeerklärung für das gemeinsame Sorgerecht geben Sie beim Jugendamt oder bei einem "
                  "Notariat ab, nicht beim Standesamt.")),
    ),
    "geburtsanzeige": StepText(
        title=_l("Geburt beim Standesamt anzeigen"),
        office=STANDESAMT,
        legal_basis="§§ 18–20 PStG",
        documents=(_l("Ausweise der Eltern (Personalausweis oder Reisepass)"),
                   _l("je nach Familienstand weitere Urkunden, zum Beispiel Eheurkunde, Geburtsurkunden der "
                      "Eltern, Vaterschaftsanerkennung und Sorgeerklärung")),
        notes=(_l("Das Standesamt sagt Ihnen, welche Urkunden es in Ihrem Fall braucht. Nach der "
                  "Beurkundung stellt es die Geburtsurkunden aus – die brauchen Sie für Elterngeld und "
                  "Kindergeld."),),
    ),
    "vornamen": StepText(
        title=_l("Vornamen des Kindes mitteilen"),
        office=STANDESAMT,
        legal_basis="§ 22 Abs. 1 PStG",
        description=_l("Haben Sie die Vornamen bei der Anzeige der Geburt noch nicht angegeben, teilen Sie sie "
                       "dem Standesamt innerhalb eines Monats nach der Geburt mit."),
        notes=(_l("Das Geschlecht kann offen bleiben oder als „divers“ eingetragen werden (§ 22 Abs. 3 PStG)."),),
    ),
    "mutterschutz_ende": StepText(
        title=_l("Ende der Mutterschutzfrist"),
        office=_l("Arbeitgeber; Mutterschaftsgeld: Krankenkasse"),
        legal_basis="§ 3 MuSchG",
        notes=(_l("Mutterschaftsgeld und der Zuschuss des Arbeitgebers werden auf das Elterngeld angerechnet. "
                  "Lebensmonate mit Mutterschaftsgeld zählen als Basiselterngeld-Monate der Mutter."),
               _l("Mutterschaftsgeld beantragen Sie in der Regel bei Ihrer Krankenkasse. Mütter ohne "
                  "gesetzliche Krankenversicherung wenden sich an das Bundesamt für Soziale Sicherung.")),
    ),
    "elterngeld": StepText(
        title=_l("Elterngeld beantragen"),
        office=L_BANK,
        legal_basis="§ 7 Abs. 1 BEEG",
        description=_l("Elterngeld wird rückwirkend nur für die letzten drei Lebensmonate vor dem Lebensmonat "
                       "gezahlt, in dem der Antrag eingeht. Stellen Sie den Antrag am besten bis zum Ende des "
                       "3. Lebensmonats. Geht er bis zum Ende des 4. Lebensmonats ein, bekommen Sie Elterngeld "
                       "noch ab der Geburt."),
        documents=(_l("Geburtsurkunde (Original) bzw. Geburtsbescheinigung"),
                   _l("Einkommensnachweise der 12 Monate vor der Geburt: Gehaltsabrechnungen, bei "
                      "Selbstständigen der Steuerbescheid"),
                   _l("Bescheinigungen der Krankenkasse über das Mutterschaftsgeld und des Arbeitgebers über "
                      "den Zuschuss"),
                   _l("Arbeitszeitbestätigung des Arbeitgebers, wenn Sie während des Elterngelds in Teilzeit "
                      "arbeiten")),
        notes=(_l("Den Antrag können Sie erst nach der Geburt stellen. Sie füllen ihn online aus und schicken "
                  "ihn ausgedruckt und unterschrieben mit der Geburtsurkunde per Post – oder reichen ihn ganz "
                  "elektronisch mit der Online-Ausweisfunktion ein."),
               _l("Beide Eltern unterschreiben den Antrag, auch wenn nur einer Elterngeld bezieht – außer, "
                  "wenn ein Elternteil das alleinige Sorgerecht hat."),
               _l("Im Antrag geben Sie an, in welchen Lebensmonaten Sie Basiselterngeld, ElterngeldPlus oder "
                  "den Partnerschaftsbonus beziehen."),
               _l("Elterngeld beträgt in der Regel 67 Prozent des Nettoeinkommens vor der Geburt."),
               _l("L-Bank, Familienförderung: Telefon 0800 6645 471 (Mo–Fr 8:30–16 Uhr)")),
        links=((_l("Elterngeld bei der L-Bank"), L_BANK_ELTERNGELD),),
    ),
    "kindergeld": StepText(
        title=_l("Kindergeld beantragen"),
        office=_l("Familienkasse der Bundesagentur für Arbeit"),
        legal_basis="§§ 62, 63, 66, 67, 70 EStG",
        description=_l("Kindergeld gibt es ab dem Geburtsmonat. Rückwirkend zahlt die Familienkasse aber nur "
                       "für die letzten sechs Monate vor dem Monat, in dem Ihr Antrag eingeht. Damit Sie "
                       "Kindergeld schon für den Geburtsmonat bekommen, muss der Antrag bis zu diesem Tag "
                       "eingehen."),
        documents=(_l("Antrag „KG 1“ und für jedes Kind eine „Anlage Kind“ – bekommen Sie schon Kindergeld, "
                      "reicht die Anlage Kind für das neue Kind"),
                   _l("Steuer-Identifikationsnummer des Kindes (kommt per Post vom Bundeszentralamt für "
                      "Steuern) und des Elternteils, der den Antrag stellt"),
                   _l("Staatsangehörige eines anderen EU-Staats: „Anlage EU“; andere Staatsangehörige: "
                      "Aufenthaltstitel")),
        notes=(_l("Beschäftigte im öffentlichen Dienst wenden sich an ihre Familienkasse des öffentlichen "
                  "Dienstes."),
               _l("Familienkasse: Telefon 0800 4 5555 30 (kostenfrei, Mo–Fr 8–18 Uhr)")),
    ),
    "elternzeit": StepText(
        title=_l("Elternzeit beim Arbeitgeber anmelden"),
        office=_l("Arbeitgeber"),
        legal_basis="§ 16 Abs. 1 BEEG",
        description=_l("Elternzeit verlangen Sie schriftlich vom Arbeitgeber: spätestens 7 Wochen vor ihrem "
                       "Beginn, wenn sie vor dem 3. Geburtstag beginnt, sonst spätestens 13 Wochen vorher. "
                       "Geben Sie dabei an, in welchen Zeiten der nächsten zwei Jahre Sie Elternzeit nehmen."),
    ),
    "kita_vormerkung": StepText(
        title=_l("Kita-Platz zentral vormerken"),
        office=_l("Stadt Heidelberg, Kinder- und Jugendamt – Zentrale Vormerkung (Kita-Data-Webhouse)"),
        legal_basis="§ 24 SGB VIII; § 3 Abs. 2a KiTaG BW",
        description=_l("Sie können Ihr Kind ab der Geburt für einen Kita-Platz vormerken, mit bis zu drei "
                       "Wunsch-Kitas – jeweils für das laufende und das nächste Kindergartenjahr (1. September "
                       "bis 31. August). In Baden-Württemberg melden Eltern ihren Bedarf in der Regel sechs "
                       "Monate vor dem gewünschten Beginn an."),
        notes=(_l("Die Kitas vergeben die Plätze ab dem 15. Februar; das Kinder- und Jugendamt informiert Sie "
                  "per E-Mail. Verbindlich wird ein Platz erst mit dem Betreuungsvertrag."),
               _l("Für die Krippe und später für den Kindergarten melden Sie Ihr Kind jeweils neu an."),
               _l("Ist kein Platz frei, hilft Ihnen das Kinder- und Jugendamt, eine andere Lösung zu finden."),
               _l("Ohne Internet oder mit einer Behinderung: Das Papierformular gibt es beim Kinder- und "
                  "Jugendamt und in den Kitas.")),
        links=((_l("Zentrale Vormerkung für einen Kita-Platz in Heidelberg"), HEIDELBERG_KITA),),
    ),
    "kita_anspruch": StepText(
        title=_l("Rechtsanspruch auf einen Betreuungsplatz beginnt"),
        office=JUGENDAMT_HD,
        legal_basis="§ 24 Abs. 2 SGB VIII",
        description=_l("Ab dem ersten Geburtstag hat Ihr Kind einen Rechtsanspruch auf frühkindliche Förderung "
                       "in einer Kita oder in der Kindertagespflege. Der Umfang richtet sich nach Ihrem Bedarf. "
                       "Zuständig ist in Heidelberg als Stadtkreis das Kinder- und Jugendamt."),
        notes=(_l("Schon vor dem ersten Geburtstag wird ein Platz gefördert, wenn die Entwicklung des Kindes "
                  "es braucht oder die Eltern arbeiten, Arbeit suchen oder in Ausbildung sind."),
               _l("Vom dritten Geburtstag bis zum Schuleintritt hat Ihr Kind Anspruch auf einen Platz in "
                  "einer Kita.")),
    ),
    "basiselterngeld_ende": StepText(
        title=_l("Basiselterngeld: Bezugszeitraum endet"),
        office=L_BANK,
        legal_basis="§ 4 BEEG",
        notes=(_l("Monate mit Mutterschaftsgeld zählen als Basiselterngeld-Monate der Mutter."),),
    ),
    "elterngeldplus_ende": StepText(
        title=_l("ElterngeldPlus: Bezugszeitraum endet"),
        office=L_BANK,
        legal_basis="§ 4 Abs. 1 BEEG",
        notes=(_l("Ein Monat Basiselterngeld entspricht zwei Monaten ElterngeldPlus."),
               _l("Mit dem Partnerschaftsbonus sind bis zu 4 weitere Monatsbeträge ElterngeldPlus je "
                  "Elternteil möglich (§ 4b BEEG).")),
    ),
    "mehrlingszuschlag": StepText(
        title=_l("Mehrlingszuschlag zum Elterngeld"),
        office=L_BANK,
        legal_basis="§ 2a Abs. 4 BEEG",
        description=_l("Bei Mehrlingen erhöht sich das Elterngeld für jedes weitere Kind um einen festen Betrag "
                       "im Monat. Sie bekommen den Zuschlag mit dem Elterngeldantrag; es gelten dieselben "
                       "Fristen."),
        notes=(_l("Den Zuschuss des Landes Baden-Württemberg bei Mehrlingsgeburten gibt es erst ab Drillingen."),),
    ),
    "mehrlingszuschuss": StepText(
        title=_l("Zuschuss bei Mehrlingsgeburten beantragen"),
        office=L_BANK,
        legal_basis=_l("Förderprogramm des Landes Baden-Württemberg (service-bw Leistung 6778)"),
        description=_l("Das Land Baden-Württemberg gibt Familien mit Drillingen oder mehr Mehrlingen einen "
                       "Zuschuss je Kind. Beantragen Sie ihn innerhalb von 12 Monaten nach der Geburt bei der "
                       "L-Bank. Die Familie muss zur Zeit der Geburt in Baden-Württemberg wohnen."),
        notes=(_l("Außerdem erhöht sich das Elterngeld für jedes weitere Kind um einen Mehrlingszuschlag."),),
    ),
}
