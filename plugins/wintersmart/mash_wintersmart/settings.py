"""Settings schema of the WinterSMART plugin (rendered as the admin form).

The ice-risk thresholds default to the values of the domain brief (§1.4, §2, §4, §5); each
field's description names the source of its default. The README lists them all.
"""

import marshmallow as ma

from mash_core.api import _, _l

from . import webmap
from .network import DEFAULT_HIGHWAYS


def _highways(value):
    from .network import HIGHWAYS

    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ma.ValidationError(_("Mindestens eine Straßenklasse angeben."))
    unknown = [n for n in names if n not in HIGHWAYS]
    if unknown:
        raise ma.ValidationError(_("Unbekannte Straßenklasse(n): %(names)s. Möglich sind: %(known)s.",
                                   names=", ".join(unknown), known=", ".join(HIGHWAYS)))


PHONE = ma.validate.Regexp(r"^[0-9+ ()/-]*$", error="Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")


def _float(default, low, high, label, description):
    return ma.fields.Float(load_default=default, allow_nan=False, validate=ma.validate.Range(low, high),
                           metadata={"label": label, "description": description})


def _int(default, low, high, label, description):
    return ma.fields.Integer(load_default=default, strict=False, validate=ma.validate.Range(low, high),
                             metadata={"label": label, "description": description})


def _tile_url(value: str) -> None:
    try:
        webmap.tile_source(value)
    except ValueError as exc:
        raise ma.ValidationError(str(exc)) from None


class WinterSmartSettings(ma.Schema):
    service_name = ma.fields.String(load_default="Winterdienst der Stadt",
                                    metadata={"label": _l("Zuständige Stelle für den Winterdienst")})
    hotline_phone = ma.fields.String(load_default="06221 58-0", validate=PHONE,
                                     metadata={"label": _l("Telefon der Winterdienst-Hotline")})
    hotline_hours = ma.fields.String(load_default="",
                                     metadata={"label": _l("Erreichbarkeit der Hotline (z. B. „in der Wintersaison rund um die Uhr“)")})
    contact_email = ma.fields.Email(load_default=None, allow_none=True,
                                    metadata={"label": _l("E-Mail für Hinweise zum Winterdienst (optional)")})

    # -- ice risk: levels (brief §4) ------------------------------------------------------------
    near_tcrit_k = _float(1.0, 0.0, 5.0, _l("Glättegefahr möglich: Abstand zur kritischen Temperatur (K)"),
                          _l("Stufe 1, wenn die Fahrbahntemperatur (jetzt oder in 3 Stunden) höchstens so viel über "
                             "der kritischen Temperatur liegt. Voreinstellung 1 K."))
    near_dewpoint_k = _float(2.0, 0.0, 10.0, _l("Glättegefahr möglich: Abstand zum Taupunkt (K)"),
                             _l("Stufe 1, wenn die Fahrbahn zugleich höchstens so viel wärmer als der Taupunkt ist. "
                                "Voreinstellung 2 K."))
    moisture_dewpoint_k = _float(1.0, 0.0, 5.0, _l("Feuchte durch Tau oder Reif: Abstand zum Taupunkt (K)"),
                                 _l("Die Fahrbahn gilt als feucht, wenn sie höchstens so viel wärmer als der Taupunkt "
                                    "ist. Voreinstellung 1 K."))
    freezing_precip_rst_c = _float(0.833, -5.0, 5.0, _l("Gefrierender Regen: höchste Fahrbahntemperatur (°C)"),
                                   _l("Stufe 3 bei gefrierendem Regen oder Sprühregen bis zu dieser "
                                      "Fahrbahntemperatur. Voreinstellung 0,833 °C (Pikalert/MDSS)."))
    friction_warning = _float(0.70, 0.0, 1.0, _l("Griffigkeit für Stufe 2"),
                              _l("Stufe 2 bei Griffigkeit unter diesem Wert und Fahrbahn unter 0 °C. "
                                 "Voreinstellung 0,70 (IRIS)."))
    friction_ice = _float(0.60, 0.0, 1.0, _l("Griffigkeit für Stufe 3"),
                          _l("Stufe 3 bei Griffigkeit unter diesem Wert und Fahrbahn unter 0 °C. "
                             "Voreinstellung 0,60 (IRIS)."))
    hysteresis_min = _int(30, 0, 1440, _l("Haltezeit einer Warnstufe (Minuten)"),
                          _l("Eine Stufe sinkt erst, wenn ihre Bedingung so lange nicht mehr erfüllt war, oder nach "
                             "dem Streuen mit bestätigt tieferem Gefrierpunkt. Voreinstellung 30 Minuten."))
    # -- ice risk: nowcast (brief §5) -----------------------------------------------------------
    nowcast_window_min = _int(60, 15, 360, _l("Prognose: Zeitfenster des Trends (Minuten)"),
                              _l("Der Trend der Fahrbahntemperatur wird aus diesem Zeitraum geschätzt (Theil-Sen). "
                                 "Voreinstellung 60 Minuten."))
    nowcast_min_points = _int(4, 2, 100, _l("Prognose: Mindestzahl an Messwerten"),
                              _l("Weniger Messwerte im Zeitfenster ergeben keine Prognose. Voreinstellung 4."))
    nowcast_max_slope_k_per_h = _float(3.0, 0.1, 20.0, _l("Prognose: größte Temperaturänderung (K pro Stunde)"),
                                       _l("Der Trend wird auf diesen Betrag begrenzt. Voreinstellung 3 K/h."))
    nowcast_dewpoint_floor_k = _float(1.0, 0.0, 10.0, _l("Prognose: höchstens so weit unter den Taupunkt (K)"),
                                      _l("Beim Abkühlen sinkt die Prognose nicht weiter unter den Taupunkt. "
                                         "Voreinstellung 1 K."))
    windy_m_s = _float(5.0, 0.0, 75.0, _l("Prognose unsicher ab Windgeschwindigkeit (m/s)"),
                       _l("Bei mehr Wind wird die Prognose als unsicher markiert. Voreinstellung 5 m/s."))
    cloudy_pct = _float(75.0, 0.0, 100.0, _l("Prognose unsicher ab Bewölkung (%)"),
                        _l("Bei mehr Bewölkung wird die Prognose als unsicher markiert. Voreinstellung 75 %."))
    dilution_margin_k = _float(0.0, 0.0, 5.0, _l("Zuschlag auf den gemessenen Gefrierpunkt bei Verdünnung (K)"),
                               _l("Wächst der Wasserfilm oder fällt Niederschlag, ist der gemessene Gefrierpunkt zu "
                                  "günstig; dieser Zuschlag wird dann addiert. Voreinstellung 0 K (nur markieren)."))
    # -- plausibility (brief §2) ----------------------------------------------------------------
    max_obs_age_min = _int(30, 1, 1440, _l("Höchstalter von Messwerten für die Bewertung (Minuten)"),
                           _l("Ältere Messwerte werden bei der Glättebewertung nicht mehr verwendet. "
                              "Voreinstellung 30 Minuten."))
    frozen_state_max_air_c = _float(1.0, -10.0, 10.0,
                                    _l("Gefrorener Fahrbahnzustand unplausibel bei Lufttemperatur über (°C)"),
                                    _l("Meldet ein Sensor Eis, Reif oder Schnee bei wärmerer Luft, wird die Meldung "
                                       "verworfen. Voreinstellung 1 °C (Pikalert)."))
    wet_state_min_air_c = _float(0.0, -10.0, 10.0, _l("Nasser Fahrbahnzustand unplausibel bei Lufttemperatur bis (°C)"),
                                 _l("Meldet ein Sensor Nässe, Feuchte oder Tau bei dieser oder kälterer Luft, wird die "
                                    "Meldung verworfen. Voreinstellung 0 °C (Pikalert)."))
    # -- retention --------------------------------------------------------------------------------
    raw_retention_days = _int(30, 1, 3650, _l("Rohdaten aufbewahren (Tage)"),
                              _l("Ältere Messwerte werden zu Stundenwerten (Mittel, Minimum, Maximum) "
                                 "zusammengefasst. Voreinstellung 30 Tage."))
    assessment_retention_days = _int(90, 1, 3650, _l("Glättebewertungen aufbewahren (Tage)"),
                                     _l("Von älteren Bewertungen bleiben nur die Wechsel der Warnstufe. "
                                        "Voreinstellung 90 Tage."))

    # -- warnings and signs ---------------------------------------------------------------------
    operator_email = ma.fields.Email(load_default=None, allow_none=True,
                                     metadata={"label": _l("E-Mail der Einsatzleitung für Glättewarnungen"),
                                               "description": _l("Erhält eine Nachricht, sobald ein Straßenabschnitt "
                                                                 "Stufe 2 erreicht (einmal je Anstieg).")})
    sign_driver = ma.fields.String(load_default="log", validate=ma.validate.OneOf(("log", "mqtt")),
                                   metadata={"label": _l("Treiber der Warnschilder"),
                                             "description": _l("„log“ schreibt Befehle nur ins Protokoll, „mqtt“ "
                                                               "sendet sie an die Schildsteuerungen und erwartet "
                                                               "eine Bestätigung.")})
    sign_command_min = _int(60, 5, 1440, _l("Gültigkeit eines Schildbefehls (Minuten)"),
                            _l("Ein Schild schaltet sich nach dieser Zeit von selbst ab, wenn der Befehl nicht "
                               "erneuert wird. Voreinstellung 60 Minuten."))
    cap_sender = ma.fields.String(load_default="", validate=ma.validate.Regexp(r"^[^\s,<&]*$"),
                                  metadata={"label": _l("Absenderkennung im CAP-Feed (optional)"),
                                            "description": _l("Zum Beispiel winterdienst@heidelberg.de; leer: "
                                                              "aus dem Hostnamen gebildet.")})

    # -- grit bins and salt silos (brief §6.3; module bins.py) ---------------------------------
    fill_median_n = _int(3, 1, 15, _l("Füllstand: Median über die letzten Messungen (Anzahl)"),
                         _l("Der Füllstand ist der Median der letzten so vielen gültigen Abstandsmessungen. "
                            "Voreinstellung 3."))
    bin_low_fill_pct = _float(30.0, 0.0, 100.0, _l("Streugutbehälter: Warnschwelle Füllstand (%)"),
                              _l("Darunter wird einmal gewarnt und der Behälter muss bei der nächsten Tour "
                                 "aufgefüllt werden. Voreinstellung 30 %."))
    refill_optional_pct = _float(60.0, 0.0, 100.0, _l("Streugutbehälter: optional auffüllen unter (%)"),
                                 _l("Behälter zwischen Warnschwelle und diesem Wert werden mitgenommen, wenn es "
                                    "sich lohnt. Voreinstellung 60 %."))
    silo_resupply_pct = _float(30.0, 0.0, 100.0, _l("Salzsilo: Nachschub anfordern unter (%)"),
                               _l("Darunter meldet ein Silo einmal, dass Salz nachbestellt werden muss. "
                                  "Voreinstellung 30 % (Vorschlag)."))
    fill_alert_rearm_pct = _float(5.0, 0.0, 50.0, _l("Füllstand: erneute Warnung erst nach Auffüllen um (Prozentpunkte)"),
                                  _l("Eine Warnung wird erst wieder möglich, wenn der Füllstand so weit über der "
                                     "Schwelle lag. Voreinstellung 5 Prozentpunkte."))
    consumption_window_days = _int(7, 1, 90, _l("Verbrauch: Zeitraum der Schätzung (Tage)"),
                                   _l("Der Verbrauch wird robust aus den Füllständen dieses Zeitraums geschätzt. "
                                      "Voreinstellung 7 Tage."))
    refill_jump_pct = _float(10.0, 1.0, 100.0, _l("Verbrauch: Anstieg, der als Auffüllung gilt (Prozentpunkte)"),
                             _l("Steigt der Füllstand zwischen zwei Messungen stärker, wurde aufgefüllt; das zählt "
                                "nicht als Verbrauch. Voreinstellung 10 Prozentpunkte (Vorschlag)."))
    refill_vehicle_capacity_kg = _float(1000.0, 10.0, 100000.0, _l("Nachfüllfahrzeug: Zuladung (kg)"),
                                        _l("Wie viel Streugut ein Fahrzeug für die Nachfülltour lädt. "
                                           "Voreinstellung 1000 kg (Vorschlag)."))
    refill_interval_days = _float(7.0, 0.5, 60.0, _l("Nachfülltouren: Abstand (Tage)"),
                                  _l("Für den Nutzen optionaler Behälter: erwarteter Verbrauch bis zur nächsten Tour. "
                                     "Voreinstellung 7 Tage."))
    refill_prize_m_per_kg = _float(100.0, 0.0, 100000.0, _l("Nachfülltouren: Umweg je kg erwartetem Verbrauch (m)"),
                                   _l("So viele Meter Umweg ist es wert, ein kg Streugut vorzeitig aufzufüllen. "
                                      "Voreinstellung 100 m (Vorschlag)."))

    # -- gritting routes (brief §9; module planning.py) -----------------------------------------
    gritting_max_priority_class = _int(2, 1, 5, _l("Streuplan: Prioritätsklassen bis einschließlich"),
                                       _l("Straßenabschnitte dieser und höherer Priorität (kleinere Zahl) werden "
                                          "immer gestreut. Voreinstellung 2."))
    gritting_min_level = _int(2, 1, 3, _l("Streuplan: zusätzlich ab Warnstufe"),
                              _l("Abschnitte anderer Klassen kommen hinzu, wenn ihre aktuelle Glättebewertung "
                                 "mindestens diese Stufe hat. Voreinstellung 2."))
    gritting_spread_rate_g_m2 = _float(15.0, 1.0, 100.0, _l("Streuplan: Streudichte (g/m²)"),
                                       _l("Salzmenge je Quadratmeter Fahrbahn; Bedarf eines Abschnitts = Streudichte × "
                                          "Länge × Breite. Voreinstellung 15 g/m² (vorbeugendes Streuen, Vorschlag)."))
    gritting_default_width_m = _float(7.0, 2.0, 40.0, _l("Streuplan: Fahrbahnbreite ohne Angabe (m)"),
                                      _l("Für Abschnitte ohne eingetragene Breite. Voreinstellung 7 m (Vorschlag)."))
    gritting_vehicles = _int(2, 1, 100, _l("Streuplan: Zahl der Streufahrzeuge"),
                             _l("Die Touren werden auf so viele Fahrzeuge verteilt. Voreinstellung 2."))
    gritting_vehicle_capacity_kg = _float(4000.0, 100.0, 50000.0, _l("Streuplan: Salzvorrat je Fahrzeug (kg)"),
                                          _l("So viel Salz lädt ein Streufahrzeug; danach lädt es am Silo nach. "
                                             "Voreinstellung 4000 kg (Vorschlag)."))
    gritting_time_limit_s = _float(10.0, 1.0, 600.0, _l("Streuplan: Rechenzeit (Sekunden)"),
                                   _l("So lange sucht der Planer nach besseren Touren. Voreinstellung 10 Sekunden."))
    gritting_solver = ma.fields.String(load_default="native", validate=ma.validate.OneOf(("native", "pyvrp")),
                                       metadata={"label": _l("Streuplan: Tourenplaner"),
                                                 "description": _l("„native“: eigene lokale Suche, die bei jedem "
                                                                   "Zug die Streurichtung jedes Abschnitts mitwählt "
                                                                   "(Voreinstellung, die besseren Touren); „pyvrp“: "
                                                                   "PyVRP auf der Übersetzung in ein "
                                                                   "Knoten-Tourenproblem.")})

    # -- maps (module webmap.py; docs/plugins/wintersmart.md, "Karten") ------------------------------
    map_library = ma.fields.String(load_default="svg", validate=ma.validate.OneOf(webmap.LIBRARIES),
                                   metadata={"label": _l("Kartendarstellung"),
                                             "description": _l("„svg“: schematische Karte vom Server, ohne "
                                                               "Kartenhintergrund und ohne Anfragen an andere "
                                                               "Server; „leaflet“: verschiebbare Karte mit "
                                                               "Kartenkacheln vom Kachelserver unten (die "
                                                               "Besucher laden sie direkt von dort).")})
    map_tile_url = ma.fields.String(load_default=webmap.DEFAULT_TILE_URL, validate=_tile_url,
                                    metadata={"label": _l("Kachelserver (Adressvorlage)"),
                                              "description": _l("XYZ-Vorlage mit {z}, {x} und {y}, z. B. "
                                                                "https://tile.openstreetmap.org/{z}/{x}/{y}.png; "
                                                                "nur https (http nur für localhost). Nur bei "
                                                                "„leaflet“ verwendet.")})
    map_tile_attribution = ma.fields.String(load_default=webmap.DEFAULT_ATTRIBUTION,
                                            validate=ma.validate.Length(max=300),
                                            metadata={"label": _l("Quellenangabe der Kartenkacheln"),
                                                      "description": _l("Wird als Text unten in der Karte "
                                                                        "angezeigt, wie es der Kachelanbieter "
                                                                        "verlangt.")})
    map_max_zoom = _int(19, 1, 22, _l("Größte Zoomstufe der Karte"),
                        _l("Höchste Zoomstufe, die der Kachelserver liefert. Voreinstellung 19."))

    gritting_auto_plan_min = _int(0, 0, 1440, _l("Streuplan: automatisch planen alle (Minuten)"),
                                  _l("Der Planer rechnet in diesem Abstand einen neuen Streuplan (Aufgabe „autoplan“). "
                                     "0 = nur auf Anforderung; im Demo-Betrieb alle 5 Minuten."))

    # -- road network import (module network.py) -----------------------------------------------
    network_highways = ma.fields.String(
        load_default=",".join(DEFAULT_HIGHWAYS), validate=_highways,
        metadata={"label": _l("Straßennetz-Import: Straßenklassen (OSM highway, durch Komma getrennt)"),
                  "description": _l("Nur Wege dieser Klassen werden importiert (aus OSM-Dateien werden andere "
                                    "übergangen, in GeoJSON abgewiesen). Voreinstellung: Autobahn bis Wohnstraße, "
                                    "verkehrsberuhigter Bereich, Busspur; service (Zufahrten, Parkplätze) und "
                                    "Fußwege nur bei Bedarf.")})

    # -- demo (module simulator.py) -------------------------------------------------------------
    demo_simulator = ma.fields.Boolean(
        load_default=False,
        metadata={"label": _l("Demo: simulierte Frostnacht einspielen (nie im Echtbetrieb)"),
                  "description": _l("Der Worker spielt für die Messstationen und Streugutbehälter eine abkühlende "
                                    "Nacht in Zeitraffer über MQTT ein, in Schleife, und plant Streupläne. "
                                    "„make demo“ schaltet das ein.")})
    demo_simulator_speed = _float(60.0, 1.0, 3600.0, _l("Demo: Zeitraffer (simulierte Sekunden je Sekunde)"),
                                  _l("Bei 60 dauert eine zwölfstündige Nacht zwölf Minuten. Voreinstellung 60."))

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        if "friction_ice" in data and "friction_warning" in data and data["friction_ice"] > data["friction_warning"]:
            raise ma.ValidationError(_("Der Wert für Stufe 3 darf nicht größer sein als der für Stufe 2."),
                                     field_name="friction_ice")
        if "wet_state_min_air_c" in data and "frozen_state_max_air_c" in data \
                and data["wet_state_min_air_c"] > data["frozen_state_max_air_c"]:
            raise ma.ValidationError(_("Muss kleiner oder gleich der Grenze für gefrorene Zustände sein."),
                                     field_name="wet_state_min_air_c")
        if "refill_optional_pct" in data and "bin_low_fill_pct" in data \
                and data["refill_optional_pct"] < data["bin_low_fill_pct"]:
            raise ma.ValidationError(_("Muss größer oder gleich der Warnschwelle der Streugutbehälter sein."),
                                     field_name="refill_optional_pct")
