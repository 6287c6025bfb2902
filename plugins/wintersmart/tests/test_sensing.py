"""Payloads without a database: schema, units, ranges and plausibility flags, state vocabularies,
the own-topic adapters and The Things Stack v3 adapter (real uplink shape)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import marshmallow as ma
import pytest

from mash_wintersmart.quantities import Invalid, normalise, normalise_state
from mash_wintersmart.schemas import (ObservationMessageSchema, datastream_adapter, decode_milesight,
                                      loaded_summary, station_adapter, ttn_uplink)

SCHEMA = ObservationMessageSchema()
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def load(obs, t=None, thing="rws-1", **extra):
    return SCHEMA.load({"thing": thing, "t": t or NOW.isoformat(), "obs": obs, **extra})


def one(key, value):
    return load({key: value})["obs"][0]


# -- units -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, unit, expected", [
    (-1.5, None, -1.5), (-1.5, "Cel", -1.5), (-1.5, "°C", -1.5), (271.65, "K", -1.5),
    (32.0, "[degF]", 0.0), (29.3, "°F", -1.5), (14.0, "F", -10.0),
])
def test_temperatures_are_normalised_to_celsius(value, unit, expected):
    item = {"v": value} if unit is None else {"v": value, "u": unit}
    assert one("rst_1", item).value == pytest.approx(expected)


def test_other_units_are_normalised():
    assert one("rh", {"v": 0.93, "u": "1"}).value == pytest.approx(93.0)
    assert one("water_film", {"v": 250, "u": "um"}).value == pytest.approx(0.25)
    assert one("water_film", {"v": 0.05, "u": "cm"}).value == pytest.approx(0.5)
    assert one("friction", {"v": 65, "u": "%"}).value == pytest.approx(0.65)
    assert one("wind_speed", {"v": 36, "u": "km/h"}).value == pytest.approx(10.0)
    assert one("cloud_cover", {"v": 6, "u": "okta"}).value == pytest.approx(75.0)
    assert one("distance", {"v": 1.2, "u": "m"}).value == pytest.approx(1200.0)
    with pytest.raises(ma.ValidationError) as err:
        one("rst_1", {"v": 1.0, "u": "mm"})
    assert "unit 'mm' is not accepted for rst_1" in str(err.value.messages)


# -- ranges and plausibility -------------------------------------------------------------------
@pytest.mark.parametrize("key, value, fragment", [
    ("rst_1", 150.0, "outside the possible range"), ("rst_1", {"v": 500, "u": "K"}, "outside the possible range"),
    ("rh", 120.0, "outside the possible range"), ("rh", -1, "outside the possible range"),
    ("water_film", -0.1, "outside"), ("friction", 1.2, "outside"), ("distance", -5, "outside"),
    ("rst_1", "cold", "must be a number"), ("rst_1", True, "must be a number"), ("rst_1", [1], "must be a number"),
    ("black_ice_signal", 7, "codes"), ("black_ice_signal", 2.5, "codes"),
    ("surface_state", "slippery", "unknown state"), ("surface_state", "NTCIP:99", "unknown NTCIP code"),
    ("surface_state", "XYZ:1", "unknown state"), ("surface_state", 5, "canonical state"),
    ("precip_type", "frogs", "unknown precipitation type"), ("humidity", 50, "unknown datastream key"),
])
def test_impossible_values_are_rejected_with_the_reason(key, value, fragment):
    with pytest.raises(ma.ValidationError) as err:
        load({key: value})
    assert fragment in json.dumps(err.value.messages, ensure_ascii=False)
    assert key in err.value.messages["obs"]


def test_values_outside_the_sensor_range_are_stored_as_suspect():
    rst = one("rst_1", -35.0)                      # TLS FBT: −30 … +80 °C
    assert rst.value == -35.0 and rst.quality == 1 and rst.flags == ["OUT_OF_SENSOR_RANGE"]
    fp = one("freeze_point", 1.5)                  # GFT: −30 … 0 °C
    assert fp.quality == 1
    rh = one("rh", 102.5)                          # condensation on the sensor: clamped, flagged
    assert rh.value == 100.0 and rh.quality == 1 and rh.flags == ["CLAMPED"]
    ok = one("rst_1", -3.2)
    assert ok.quality == 0 and ok.flags == []
    assert one("rst_1", {"v": -3.2, "q": 1}).quality == 1           # the sender's own flag is kept


def test_state_vocabularies_map_to_canonical_states_and_keep_the_raw_code():
    assert normalise_state("surface_state", "NTCIP:7") == ("ice_warning", "NTCIP:7")
    assert normalise_state("surface_state", "FBZ:66") == ("ice", "FBZ:66")
    assert normalise_state("surface_state", "fbz:67") == ("frost", "FBZ:67")
    assert normalise_state("surface_state", "UMB:25") == ("chemically_wet", "UMB:25")
    assert normalise_state("surface_state", "PIKALERT:16") == ("black_ice", "PIKALERT:16")
    assert normalise_state("surface_state", "METRO:8") == ("ice", "METRO:8")
    assert normalise_state("surface_state", "wet") == ("wet", None)
    state = one("surface_state", "NTCIP:13")
    assert (state.value, state.state, state.raw_code) == (None, "frost", "NTCIP:13")
    assert one("black_ice_signal", 3).value == 3.0
    with pytest.raises(Invalid):
        normalise("surface_state", "wet", unit="Cel")


# -- the message ---------------------------------------------------------------------------------
def test_message_times_and_keys_are_checked():
    assert load({"rst_1": 1.0}, t="2026-01-15T03:10:00Z")["t"] == datetime(2026, 1, 15, 3, 10, tzinfo=timezone.utc)
    assert load({"rst_1": 1.0}, t="2026-01-15T04:10:00+01:00")["t"].hour == 3
    assert load({"rst_1": 1.0}, t="2026-01-15T03:10:00")["t"].tzinfo is not None      # naive = UTC
    assert load({"rst_1": 1.0}, t=1768446600)["t"] == datetime(2026, 1, 15, 3, 10, tzinfo=timezone.utc)
    bad = [dict(t=(NOW + timedelta(hours=1)).isoformat()), dict(t="1999-12-31T23:00:00Z"), dict(t="yesterday"),
           dict(t=True), dict(thing="bad key/with slash"), dict(thing=""), dict(obs={}),
           dict(obs={f"rst_{i}": 1 for i in range(65)}), dict(extra="field")]
    for changes in bad:
        body = {"thing": "rws-1", "t": NOW.isoformat(), "obs": {"rst_1": 1.0}, **changes}
        with pytest.raises(ma.ValidationError):
            SCHEMA.load(body)


def test_all_errors_of_a_message_are_reported_together():
    with pytest.raises(ma.ValidationError) as err:
        load({"rst_1": 500, "rh": "wet", "t_air": 1.0})
    assert set(err.value.messages["obs"]) == {"rst_1", "rh"}


def test_own_topic_adapters():
    topic = "mash/heidelberg/wintersmart/obs/rws-7"
    data = SCHEMA.load(station_adapter(topic, json.dumps(
        {"t": NOW.isoformat(), "obs": {"rst_1": -1.0, "t_air": {"v": 31.1, "u": "[degF]"}}}).encode()))
    assert data["thing"] == "rws-7" and [o.key for o in data["obs"]] == ["rst_1", "t_air"]
    assert data["obs"][1].value == pytest.approx(-0.5)
    with pytest.raises(ma.ValidationError):
        station_adapter(topic, json.dumps({"thing": "rws-8", "t": NOW.isoformat(), "obs": {"rst_1": 1}}).encode())
    for bad in (b"{", b"[1]", b'{"t": NaN}', b'{"v": 1e400}'):
        with pytest.raises(ma.ValidationError):
            station_adapter(topic, bad)
    one_value = datastream_adapter(topic + "/rh", json.dumps({"t": NOW.isoformat(), "v": 93, "u": "%"}).encode())
    data = SCHEMA.load(one_value)
    assert data["thing"] == "rws-7" and data["obs"][0].key == "rh" and data["obs"][0].value == 93.0
    with pytest.raises(ma.ValidationError):   # unknown field in the one-value payload
        SCHEMA.load(datastream_adapter(topic + "/rh", json.dumps({"t": NOW.isoformat(), "v": 9, "x": 1}).encode()))
    with pytest.raises(ma.ValidationError):
        datastream_adapter(topic + "/rh", b'{"v": 9}')
    summary = loaded_summary(data)
    assert summary["obs"][0]["key"] == "rh" and isinstance(summary["t"], str)


# -- The Things Stack v3 ---------------------------------------------------------------------------
TTN_TOPIC = "mash/heidelberg/wintersmart/ttn/streugut@ttn/devices/bin-0042/up"


def uplink(decoded=None, frm=None, **over):
    """An uplink in the shape The Things Stack v3 publishes on v3/{app}@{tenant}/devices/{dev}/up
    (https://www.thethingsindustries.com/docs/integrations/data-formats/; empty fields omitted)."""
    message = {
        "end_device_ids": {"device_id": "bin-0042", "application_ids": {"application_id": "streugut"},
                           "dev_eui": "24E124713B421234", "join_eui": "24E124C0002A0001", "dev_addr": "260B1A2F"},
        "correlation_ids": ["as:up:01J5ZB8W7Q4T8R0M3B2XK9N6QH", "rpc:/ttn.lorawan.v3.AppAs/SimulateUplink:7c1d"],
        "received_at": "2026-01-15T03:12:45.787475123Z",
        "uplink_message": {
            "session_key_id": "AZTJ6y7ihRcz5Ypq3j3Kvw==",
            "f_port": 85,
            "f_cnt": 1523,
            "frm_payload": frm or base64.b64encode(bytes.fromhex("01756403824A03")).decode(),  # 100 %, 842 mm
            "rx_metadata": [
                {"gateway_ids": {"gateway_id": "hd-rathaus", "eui": "B827EBFFFE8B01DD"},
                 "time": "2026-01-15T03:12:45.512Z", "timestamp": 2463457000, "rssi": -112, "channel_rssi": -112,
                 "snr": -4.5, "uplink_token": "ChsKGQoNaGQtcmF0aGF1cxII", "channel_index": 2,
                 "received_at": "2026-01-15T03:12:45.541Z"},
                {"gateway_ids": {"gateway_id": "hd-bismarckplatz", "eui": "A840411E7D604150"},
                 "timestamp": 1882736154, "rssi": -97, "channel_rssi": -97, "snr": 7.25,
                 "uplink_token": "Ch4KHAoQaGQtYmlzbWFyY2twbGF0eg==", "received_at": "2026-01-15T03:12:45.530Z"},
            ],
            "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 9, "coding_rate": "4/5"}},
                         "frequency": "868100000", "timestamp": 2463457000},
            "received_at": "2026-01-15T03:12:45.561234567Z",
            "consumed_airtime": "0.185344s",
            "network_ids": {"net_id": "000013", "ns_id": "EC656E0000000181", "tenant_id": "ttn",
                            "cluster_id": "eu1", "cluster_address": "eu1.cloud.thethings.network"},
            "version_ids": {"brand_id": "milesight-iot", "model_id": "em500-udl", "hardware_version": "1.0",
                            "firmware_version": "1.0", "band_id": "EU_863_870"},
            "last_battery_percentage": {"f_cnt": 1520, "value": 100, "received_at": "2026-01-15T02:12:44Z"},
        },
    }
    if decoded is not None:
        message["uplink_message"]["decoded_payload"] = decoded
    for key, value in over.items():
        message[key] = value
    return json.dumps(message).encode()


def test_milesight_tlv_test_vector_of_the_brief():
    assert decode_milesight(bytes.fromhex("01756403821E00")) == {
        "battery": {"v": 100, "u": "%"}, "distance": {"v": 30, "u": "mm"}}
    # EM400-UDL: temperature 03 67 (int16 LE, 0.1 °C), distance 04 82, position 05 00
    got = decode_milesight(bytes.fromhex("0175550367F6FF0482D2040500" + "01"))
    assert got == {"battery": {"v": 85, "u": "%"}, "device_temperature": {"v": -1.0, "u": "Cel"},
                   "distance": {"v": 1234, "u": "mm"}, "tilt": {"v": 1}}
    with pytest.raises(ma.ValidationError):
        decode_milesight(bytes.fromhex("038246"))            # truncated
    assert decode_milesight(bytes.fromhex("FF0B01")) == {}   # unknown channel: nothing decoded


def test_ttn_uplink_with_a_decoded_payload_becomes_a_grit_bin_observation():
    raw = ttn_uplink(TTN_TOPIC, uplink(decoded={"battery": 100, "distance": 842}))
    data = SCHEMA.load(raw)
    assert data["thing"] == "ttn:24e124713b421234" and data["kind"] == "grit_bin_sensor"
    assert data["provider"] == "ttn" and data["name"] == "bin-0042"
    assert data["properties"] == {"ttn_device_id": "bin-0042", "ttn_application_id": "streugut"}
    assert data["t"] == datetime(2026, 1, 15, 3, 12, 45, 561234, tzinfo=timezone.utc)   # uplink_message.received_at
    values = {o.key: o.value for o in data["obs"]}
    # the best gateway (strongest RSSI) gives RSSI and SNR
    assert values == {"battery": 100.0, "distance": 842.0, "rssi": -97.0, "snr": 7.25}


def test_ttn_uplink_without_a_formatter_is_decoded_from_frm_payload():
    frm = base64.b64encode(bytes.fromhex("01756403821E00")).decode()
    data = SCHEMA.load(ttn_uplink(TTN_TOPIC, uplink(frm=frm)))
    assert {o.key: o.value for o in data["obs"]}["distance"] == 30.0


@pytest.mark.parametrize("decoded, expected", [
    ({"Distance": "1234 mm", "Bat": 3.6}, {"distance": 1234.0, "battery_voltage": 3.6}),          # Dragino style
    ({"distance": {"displayName": "Distance", "unit": "mm", "value": 655},
      "battery_voltage": {"value": 3.02, "unit": "V"}}, {"distance": 655.0, "battery_voltage": 3.02}),  # Decentlab
    ({"Distance_mm": 980, "LoRa_Voltage": 3.55, "Temperature": -2.5},
     {"distance": 980.0, "battery_voltage": 3.55, "device_temperature": -2.5}),
    ({"distance": 842, "distance_unit": "m"}, {"distance": 842.0}),   # a bare number is mm; other fields ignored
    ({"distance": "0.8 m", "position": "tilt"}, {"distance": 800.0, "tilt": 1.0}),
])
def test_ttn_decoded_payload_shapes(decoded, expected):
    data = SCHEMA.load(ttn_uplink(TTN_TOPIC, uplink(decoded=decoded)))
    values = {o.key: o.value for o in data["obs"] if o.key not in ("rssi", "snr")}
    assert values == pytest.approx(expected)


@pytest.mark.parametrize("payload, fragment", [
    (uplink(decoded={"distance": "No Sensor"}), "not a measurement"),
    (uplink(decoded={"distance": 250000}), "outside the possible range"),
    (uplink(decoded={"humidity": 40}), "no distance or other known field"),
    (json.dumps({"end_device_ids": {"device_id": "bin-0042"}, "join_accept": {}}).encode(), "only uplinks"),
    (uplink(decoded={"distance": 5}, end_device_ids={"device_id": "other"}), "differs from the topic"),
    (uplink(decoded={"distance": 5}, end_device_ids={"device_id": "bin-0042", "dev_eui": "XYZ"}), "dev_eui"),
    (b'{"end_device_ids": NaN}', "non-finite"),
    (b"not json", "invalid JSON"),
])
def test_bad_uplinks_are_rejected_with_a_reason(payload, fragment):
    with pytest.raises(ma.ValidationError) as err:
        SCHEMA.load(ttn_uplink(TTN_TOPIC, payload))
    assert fragment in json.dumps(err.value.messages, ensure_ascii=False)


def test_ttn_device_without_dev_eui_is_keyed_by_application_and_device():
    ids = {"device_id": "bin-0042", "application_ids": {"application_id": "streugut"}}
    data = SCHEMA.load(ttn_uplink(TTN_TOPIC, uplink(decoded={"distance": 5}, end_device_ids=ids)))
    assert data["thing"] == "ttn:streugut.bin-0042"
