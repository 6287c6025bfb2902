"""Manifest and hook implementations of the WinterSMART plugin."""

from mash_core.api import (EventHandler, EventType, Job, Link, Manifest, Permission, Role, Subscription, Tile,
                           Widget, _l,
                           db_session, hookimpl, render, select)

from . import demo
from .settings import WinterSmartSettings

manifest = Manifest(
    slug="wintersmart",
    title=_l("WinterSMART"),
    description=_l("Intelligenter Winterdienst: Sensoren erkennen Glättegefahr auf Straßen und Brücken früh, "
                   "Schilder warnen, der Winterdienst rückt gezielt aus."),
    api=">=1.1,<2",
    settings=WinterSmartSettings,
    permissions=(
        Permission("wintersmart.operate", _l("Winterdienst steuern: Betriebshöfe, Warnungen, Schilder und Touren"),
                   ("staff", "winterdienst")),
    ),
    roles=(Role("winterdienst", _l("Winterdienst: Einsatzleitung und Fahrpersonal")),),
)


@hookimpl
def mash_register_routes(app):
    from .views import bp
    return bp


@hookimpl
def mash_register_api(api):
    from .api import blp
    return [blp]


@hookimpl
def mash_slot_items(slot, request):
    if slot == "nav.main":
        return [Link(_l("WinterSMART"), "wintersmart.index", priority=20),
                Link(_l("Leitstand Winterdienst"), "wintersmart.leitstand", priority=21,
                     permission="wintersmart.operate")]
    if slot == "home.tiles":
        return [Tile(_l("WinterSMART"),
                     _l("Intelligenter Winterdienst: Glättegefahr früh erkennen, warnen und gezielt streuen."),
                     "wintersmart.index", priority=20)]
    if slot == "dashboard.widgets":
        return [Widget(_l("WinterSMART"), _widget, priority=20, permission="wintersmart.operate")]
    return None


def _widget() -> str:
    from .models import Depot
    depots = db_session().exec(select(Depot)).all()
    capacity = sum(d.salt_capacity_t or 0 for d in depots)
    return render("wintersmart/widget.html", count=len(depots), capacity=capacity)


@hookimpl
def mash_load_demo(municipality):
    demo.load()
    from .dashboard import load_demo_signs   # the demo's sign controllers as signs (Leitstand)
    load_demo_signs()


@hookimpl
def mash_register_subscriptions():
    from .ingest import store_observations
    from .schemas import ObservationMessageSchema, datastream_adapter, station_adapter, ttn_uplink
    from .signs import SignAckSchema, handle_acks

    return [
        # mash/<municipality>/wintersmart/obs/<thing>: several datastreams at one time
        Subscription("obs/+", ObservationMessageSchema, store_observations, adapter=station_adapter, id="station"),
        # mash/<municipality>/wintersmart/obs/<thing>/<datastream>: one value
        Subscription("obs/+/+", ObservationMessageSchema, store_observations, adapter=datastream_adapter,
                     id="datastream"),
        # The Things Stack v3 uplinks, bridged from v3/<app>@<tenant>/devices/<device>/up
        Subscription("ttn/+/devices/+/up", ObservationMessageSchema, store_observations, adapter=ttn_uplink,
                     id="ttn"),
        # mash/<municipality>/wintersmart/signs/<sign>/ack: a sign controller confirms a command (readback)
        Subscription("signs/+/ack", SignAckSchema, handle_acks, id="sign_ack"),
    ]


@hookimpl
def mash_register_jobs():
    from .assess import assess_all
    from .retention import retention_job
    from .bins import bins_job
    from .planning import autoplan_job
    from .signs import expire as expire_signs
    from .simulator import demo_job

    return [
        Job("icerisk", assess_all, trigger="interval", trigger_args={"minutes": 5}, misfire_grace_time=120,
            description=_l("Glätterisiko aller Messstationen und Straßenabschnitte neu bewerten")),
        Job("retention", retention_job, trigger="cron", trigger_args={"hour": "3", "minute": "17"},
            misfire_grace_time=6 * 3600,
            description=_l("Alte Messwerte zu Stundenwerten zusammenfassen, alte Bewertungen ausdünnen")),
        Job("bins", bins_job, trigger="interval", trigger_args={"minutes": 1}, misfire_grace_time=60,
            description=_l("Füllstände der Streugutbehälter und Salzsilos aus neuen Abstandsmessungen ableiten")),
        Job("signs", expire_signs, trigger="interval", trigger_args={"minutes": 1}, misfire_grace_time=60,
            description=_l("Abgelaufene Schildbefehle und Übersteuerungen beenden, Schildbefehle erneuern")),
        Job("autoplan", autoplan_job, trigger="interval", trigger_args={"minutes": 1}, misfire_grace_time=60,
            description=_l("Streuplan automatisch neu rechnen (nur wenn eingestellt oder im Demo-Betrieb)")),
        Job("demo", demo_job, trigger="interval", trigger_args={"minutes": 1}, misfire_grace_time=60,
            description=_l("Demo: simulierte Frostnacht über MQTT einspielen (nur wenn in den Einstellungen "
                           "eingeschaltet)")),
    ]


@hookimpl
def mash_register_events():
    return [EventType("level_changed", "The ice-risk level of a station or road segment changed. Payload: "
                      "thing_id, road_segment_id (null for a station without segment), level, previous_level, "
                      "reasons, valid_time.", bridge=True),
            EventType("container_low", "A grit bin fell below its low-fill threshold (kind bin_low) or a salt silo "
                      "below its re-supply threshold (kind silo_resupply); once per crossing. Payload: container_id, "
                      "key, kind, fill (0..1), threshold, level_kg, forecast_empty_at.", bridge=True)]


@hookimpl
def mash_register_event_handlers():
    from .warnings import on_level_changed
    return [EventHandler("wintersmart.level_changed", on_level_changed)]


@hookimpl
def mash_register_commands():
    from .cli import cli
    return cli
