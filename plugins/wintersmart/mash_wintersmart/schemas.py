"""Message schemas and topic adapters of WinterSMART's MQTT ingestion.

Three subscriptions (below ``mash/<municipality>/wintersmart/``) share one schema,
:class:`ObservationMessageSchema`; an adapter maps each topic's payload to its input:

``obs/<thing>``
    a station record: ``{"t": "2026-01-15T03:10:00Z", "obs": {"rst_1": -1.2, "rh": 93,
    "t_air": {"v": 31.1, "u": "[degF]"}, "surface_state": "NTCIP:5"}}``
``obs/<thing>/<datastream>``
    one value (the brief's §7.2 convention): ``{"t": "…", "v": -1.2, "u": "Cel", "q": 0}``
``ttn/<application>@<tenant>/devices/<device>/up``
    a The Things Stack v3 uplink, bridged into MAsH's topic scheme (see the README).

The README documents payloads, units, ranges and what is rejected. A message that fails goes to
the core's dead-letter table with the reason; nothing of it is stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import marshmallow as ma

from .models import THING_KINDS
from .quantities import QUANTITIES, Invalid, normalise

THING_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._@-]{0,119}$")
#: observations from further in the future than this are rejected (clock errors)
FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
MAX_VALUES = 64


# -- strict JSON (adapters get the raw bytes) --------------------------------------------------
def _no_constant(name: str):
    raise ma.ValidationError(f"non-finite number {name} is not allowed")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ma.ValidationError(f"number {text[:40]} is out of range")
    return value


def parse_json_object(payload: bytes) -> dict:
    """A JSON object with finite numbers only, or :class:`marshmallow.ValidationError`."""
    try:
        data = json.loads(payload, parse_constant=_no_constant, parse_float=_finite)
    except ma.ValidationError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ma.ValidationError(f"invalid JSON: {exc}"[:300]) from None
    if not isinstance(data, dict):
        raise ma.ValidationError(f"payload must be a JSON object, got {type(data).__name__}")
    return data


def topic_levels(topic: str) -> list[str]:
    """The levels after ``mash/<municipality>/wintersmart/``."""
    return topic.split("/")[3:]


# -- fields and schemas ------------------------------------------------------------------------
class Timestamp(ma.fields.Field):
    """ISO 8601 (``Z`` or offset; naive means UTC; fractions beyond microseconds are cut) or
    seconds since the epoch. Loaded as an aware UTC datetime."""

    default_error_messages = {"invalid": "must be an ISO 8601 timestamp or seconds since the epoch"}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, (int, float)):
            if not math.isfinite(value) or not 0 <= value < 32503680000:
                raise self.make_error("invalid")
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if not isinstance(value, str) or not 10 <= len(value) <= 40:
            raise self.make_error("invalid")
        text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())   # nanoseconds (The Things Stack)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)


class ValueSchema(ma.Schema):
    """One datastream value in its long form."""

    class Meta:
        unknown = ma.RAISE

    v = ma.fields.Raw(required=True, allow_none=False, metadata={"description": "number, state or code"})
    u = ma.fields.String(load_default=None, validate=ma.validate.Length(max=20),
                         metadata={"description": "unit (UCUM or a common spelling); default: canonical"})
    q = ma.fields.Integer(load_default=0, strict=True, validate=ma.validate.Range(0, 2),
                          metadata={"description": "sender's quality: 0 ok, 1 suspect, 2 invalid"})
    raw = ma.fields.String(load_default=None, validate=ma.validate.Length(max=40),
                           metadata={"description": "vendor code, kept for the record"})


class ObservationMessageSchema(ma.Schema):
    """Observations of one thing at one time. ``obs`` maps datastream keys to a value (number,
    state) or ``{"v", "u", "q", "raw"}``. Loaded as ``{"thing", "kind", "provider", "name",
    "properties", "t", "obs": [normalised values]}``."""

    class Meta:
        unknown = ma.RAISE

    thing = ma.fields.String(required=True, validate=ma.validate.Regexp(THING_KEY, error="invalid thing key"))
    kind = ma.fields.String(load_default=None, validate=ma.validate.OneOf(THING_KINDS))
    provider = ma.fields.String(load_default=None, validate=ma.validate.Length(max=40))
    name = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    properties = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(max=60)), load_default=None)
    t = Timestamp(required=True)
    obs = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=False), required=True,
                         validate=ma.validate.Length(min=1, max=MAX_VALUES))

    @ma.validates("t")
    def _time(self, value: datetime, **kwargs) -> None:
        if value > datetime.now(timezone.utc) + FUTURE_TOLERANCE:
            raise ma.ValidationError("lies in the future (check the sender's clock)")
        if value < EARLIEST:
            raise ma.ValidationError("lies before the year 2000")

    @ma.validates("properties")
    def _properties(self, value, **kwargs) -> None:
        if value is not None and len(json.dumps(value)) > 2000:
            raise ma.ValidationError("too large (2000 characters at most)")

    @ma.post_load
    def _normalise(self, data: dict, **kwargs) -> dict:
        errors: dict[str, list[str]] = {}
        out = []
        value_schema = _VALUE_SCHEMA
        for key, item in data["obs"].items():
            if key not in QUANTITIES:
                errors[key] = [f"unknown datastream key; known: {', '.join(sorted(QUANTITIES))}"]
                continue
            if isinstance(item, dict):
                try:
                    item = value_schema.load(item)
                except ma.ValidationError as exc:
                    errors[key] = [f"{k}: {'; '.join(map(str, v))}" for k, v in exc.messages.items()]
                    continue
                raw, unit, quality, raw_code = item["v"], item["u"], item["q"], item["raw"]
            else:
                raw, unit, quality, raw_code = item, None, 0, None
            try:
                out.append(normalise(key, raw, unit, quality, raw_code))
            except Invalid as exc:
                errors[key] = [str(exc)]
        if errors:
            raise ma.ValidationError({"obs": errors})
        data["obs"] = out
        return data


_VALUE_SCHEMA = ValueSchema()


# -- adapters: topic + payload -> schema input ------------------------------------------------
def station_adapter(topic: str, payload: bytes) -> dict:
    """``obs/<thing>``: the payload names its datastreams; the thing comes from the topic."""
    levels = topic_levels(topic)
    data = parse_json_object(payload)
    if "thing" in data and data["thing"] != levels[1]:
        raise ma.ValidationError({"thing": ["differs from the topic"]})
    return {**data, "thing": levels[1]}


def datastream_adapter(topic: str, payload: bytes) -> dict:
    """``obs/<thing>/<datastream>``: ``{"t", "v", "u"?, "q"?, "raw"?}`` → a one-value record."""
    levels = topic_levels(topic)
    data = parse_json_object(payload)
    if "t" not in data:
        raise ma.ValidationError({"t": ["Missing data for required field."]})
    t = data.pop("t")
    return {"thing": levels[1], "t": t, "obs": {levels[2]: data}}


# -- The Things Stack v3 ----------------------------------------------------------------------
#: decoded-payload field (lower case) -> datastream key (payload formatters name them freely)
TTN_FIELDS = {
    "distance": "distance", "distance_mm": "distance", "dist": "distance",
    "battery": "battery", "battery_level": "battery", "battery_pct": "battery",
    "battery_voltage": "battery_voltage", "batv": "battery_voltage", "bat": "battery_voltage",
    "lora_voltage": "battery_voltage",
    "temperature": "device_temperature", "temp": "device_temperature",
    "position": "tilt", "tilt": "tilt",
}
#: default unit of a decoded field when the formatter gives none
TTN_DEFAULT_UNITS = {"distance": "mm", "battery": "%", "battery_voltage": "V", "device_temperature": "Cel"}
_NUMBER_WITH_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z°µ%/]*)\s*$")


def _ttn_value(key: str, value: Any) -> dict:
    """One decoded field as ``{"v", "u"}``: numbers, ``"1234 mm"`` strings, ``{"value", "unit"}``
    objects (Decentlab style) and EM400's ``position`` ("normal"/"tilt")."""
    unit = TTN_DEFAULT_UNITS.get(key)
    if isinstance(value, dict) and "value" in value:
        unit = value.get("unit") or unit
        value = value["value"]
    if key == "tilt":
        if value in ("normal", 0, False):
            return {"v": 0}
        if value in ("tilt", 1, True):
            return {"v": 1}
        raise ma.ValidationError(f"unknown position {value!r}")
    if isinstance(value, str):
        match = _NUMBER_WITH_UNIT.match(value)
        if not match:
            raise ma.ValidationError(f"not a measurement: {value[:40]!r}")
        value, unit = float(match.group(1)), match.group(2) or unit
    return {"v": value, "u": unit}


def decode_milesight(frm: bytes) -> dict:
    """Milesight EM500-UDL / EM400-UDL channel-type TLV: battery ``01 75`` (uint8 %),
    distance ``03 82``/``04 82`` (uint16 LE, mm), temperature ``03 67`` (int16 LE, 0.1 °C),
    position ``05 00`` (0 normal, 1 tilt). An unknown channel ends decoding (its length is
    unknown); a truncated field is an error."""
    out: dict = {}
    i = 0
    while i + 2 <= len(frm):
        channel, kind = frm[i], frm[i + 1]
        i += 2
        if (channel, kind) == (0x01, 0x75):
            size, key = 1, "battery"
        elif kind == 0x82 and channel in (0x03, 0x04):
            size, key = 2, "distance"
        elif (channel, kind) == (0x03, 0x67):
            size, key = 2, "device_temperature"
        elif (channel, kind) == (0x05, 0x00):
            size, key = 1, "tilt"
        else:
            break
        if i + size > len(frm):
            raise ma.ValidationError(f"truncated Milesight field {channel:02x} {kind:02x}")
        raw = int.from_bytes(frm[i:i + size], "little", signed=key == "device_temperature")
        i += size
        if key == "device_temperature":
            out[key] = {"v": raw / 10.0, "u": "Cel"}
        elif key == "tilt":
            out[key] = {"v": 1 if raw else 0}
        else:
            out[key] = {"v": raw, "u": TTN_DEFAULT_UNITS[key]}
    return out


def ttn_uplink(topic: str, payload: bytes) -> dict:
    """A The Things Stack v3 uplink (``…/devices/<device>/up``) → a grit-bin sensor record.

    The thing is ``ttn:<dev_eui>`` (lower case), or ``ttn:<application>.<device>`` without a
    DevEUI. Values come from ``uplink_message.decoded_payload`` (the application's payload
    formatter), else from ``frm_payload`` decoded as Milesight TLV. The time is the uplink's
    ``received_at``; the best gateway's RSSI and SNR are stored too.
    """
    levels = topic_levels(topic)
    up = parse_json_object(payload)
    ids = up.get("end_device_ids")
    if not isinstance(ids, dict) or not isinstance(ids.get("device_id"), str) or not ids["device_id"]:
        raise ma.ValidationError({"end_device_ids": ["device_id is missing"]})
    device = ids["device_id"]
    if len(levels) >= 4 and levels[3] != device:
        raise ma.ValidationError({"end_device_ids": [f"device_id {device!r} differs from the topic"]})
    msg = up.get("uplink_message")
    if not isinstance(msg, dict):
        raise ma.ValidationError({"uplink_message": ["missing: only uplinks are accepted on …/up"]})
    app_ids = ids.get("application_ids")
    app = app_ids.get("application_id") if isinstance(app_ids, dict) else None
    dev_eui = ids.get("dev_eui")
    if dev_eui is not None and not (isinstance(dev_eui, str) and re.fullmatch(r"[0-9A-Fa-f]{16}", dev_eui)):
        raise ma.ValidationError({"end_device_ids": ["dev_eui must be 16 hexadecimal digits"]})
    key = f"ttn:{dev_eui.lower()}" if dev_eui else f"ttn:{app or 'app'}.{device}"

    values: dict[str, dict] = {}
    decoded = msg.get("decoded_payload")
    if isinstance(decoded, dict) and decoded:
        for field_name, value in decoded.items():
            target = TTN_FIELDS.get(str(field_name).lower())
            if target is not None and value is not None and target not in values:
                values[target] = _ttn_value(target, value)
    elif isinstance(msg.get("frm_payload"), str):
        try:
            frm = base64.b64decode(msg["frm_payload"], validate=True)
        except (binascii.Error, ValueError):
            raise ma.ValidationError({"frm_payload": ["not base64"]}) from None
        values.update(decode_milesight(frm))
    if not values:
        raise ma.ValidationError({"uplink_message": ["no distance or other known field in the uplink"]})
    rx = [m for m in msg.get("rx_metadata") or [] if isinstance(m, dict) and isinstance(m.get("rssi"), (int, float))]
    if rx:
        best = max(rx, key=lambda m: m["rssi"])
        values["rssi"] = {"v": best["rssi"], "u": "dBm"}
        if isinstance(best.get("snr"), (int, float)):
            values["snr"] = {"v": best["snr"], "u": "dB"}
    properties = {"ttn_device_id": device}
    if app:
        properties["ttn_application_id"] = app
    return {"thing": key, "kind": "grit_bin_sensor", "provider": "ttn", "name": device[:200],
            "properties": properties, "t": msg.get("received_at") or up.get("received_at"), "obs": values}


def loaded_summary(data: dict) -> dict:
    """A JSON-able view of a loaded message (tests, debugging)."""
    return {**data, "t": data["t"].isoformat(),
            "obs": [{"key": o.key, "value": o.value, "state": o.state, "raw_code": o.raw_code,
                     "quality": o.quality, "flags": o.flags} for o in data["obs"]]}


__all__ = ["ObservationMessageSchema", "station_adapter", "datastream_adapter", "ttn_uplink", "decode_milesight",
           "parse_json_object", "Timestamp", "loaded_summary"]
