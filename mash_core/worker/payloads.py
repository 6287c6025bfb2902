"""Strict parsing of message payloads at the edge: size cap, JSON object, finite numbers."""

from __future__ import annotations

import json
import math

MAX_PAYLOAD = 64 * 1024
DEAD_LETTER_PAYLOAD_CAP = 4 * 1024


class Rejected(ValueError):
    """A message that cannot be accepted; ``str(exc)`` is the reason stored with it."""


def _no_constants(name: str):
    raise Rejected(f"non-finite number {name} is not allowed")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Rejected(f"number {text[:40]} is out of range")
    return value


def parse_json_object(payload: bytes, max_size: int = MAX_PAYLOAD) -> dict:
    if len(payload) > max_size:
        raise Rejected(f"oversized payload: {len(payload)} bytes (limit {max_size})")
    try:
        data = json.loads(payload, parse_constant=_no_constants, parse_float=_finite)
    except Rejected:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Rejected(f"invalid JSON: {exc}"[:300]) from None
    if not isinstance(data, dict):
        raise Rejected(f"payload must be a JSON object, got {type(data).__name__}")
    return data


def split_topic(topic: str) -> tuple[str, str, str]:
    """``mash/<municipality>/<slug>/<rest>`` → (municipality, slug, rest)."""
    parts = topic.split("/", 3)
    if len(parts) < 4 or parts[0] != "mash" or not all(parts[1:]):
        raise Rejected("topic must be mash/<municipality>/<plugin>/<...>")
    return parts[1], parts[2], parts[3]
