"""Plugin settings with three layers: schema default < admin value (database) < locked value.

A value is locked by the environment variable ``MASH_SETTING_<SLUG>_<KEY>`` (upper case; JSON or
a plain string). Fields whose marshmallow metadata has ``secret: True`` are write-only: they are
never rendered, returned by the API or logged, only reported as set or not set.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlmodel import Session, select

from .models import PluginSetting

REDACTED = "••••••"
log = logging.getLogger("mash.settings")


@dataclass
class SettingValue:
    key: str
    value: Any
    source: str  # "default", "admin" or "locked"
    secret: bool
    field: ma.fields.Field

    @property
    def is_set(self) -> bool:
        return self.value not in (None, "")

    @property
    def choices(self) -> list[tuple[Any, str]]:
        """(value, label) pairs when the field only accepts a fixed set (a ``OneOf`` validator) —
        so that the admin form offers them instead of a free text box; otherwise empty."""
        for validator in self.field.validators:
            if isinstance(validator, ma.validate.OneOf):
                return list(validator.options())
        return []

    def public(self) -> Any:
        """The value as it may be shown: secrets are replaced by a marker."""
        if self.secret:
            return REDACTED if self.is_set else None
        return self.value


def is_secret(field: ma.fields.Field) -> bool:
    return bool(field.metadata.get("secret"))


def env_name(slug: str, key: str) -> str:
    return f"MASH_SETTING_{slug}_{key}".upper()


def _locked(slug: str, key: str, field: ma.fields.Field) -> tuple[bool, Any]:
    raw = os.environ.get(env_name(slug, key))
    if raw is None:
        return False, None
    try:
        candidate = json.loads(raw)
    except ValueError:
        candidate = raw
    for value in (candidate, raw):
        try:
            return True, field.deserialize(value)
        except ma.ValidationError:
            continue
    # a broken lock must not take pages down: it is ignored, loudly
    log.error("ignoring %s: %r is not a valid value for %s.%s", env_name(slug, key), raw[:100], slug, key)
    return False, None


def _default(field: ma.fields.Field) -> Any:
    default = field.load_default
    if default is ma.missing:
        return None
    return default() if callable(default) else default


def resolve(session: Session, slug: str, schema_cls: type[ma.Schema] | None) -> dict[str, SettingValue]:
    """All settings of ``slug`` for the current municipality, with the layer each comes from."""
    if schema_cls is None:
        return {}
    schema = schema_cls()
    stored = {row.key: row.value for row in session.exec(select(PluginSetting).where(PluginSetting.slug == slug))}
    values = {}
    for key, field in schema.fields.items():
        locked, value = _locked(slug, key, field)
        if locked:
            source = "locked"
        elif key in stored:
            value, source = field.deserialize(stored[key]) if stored[key] is not None else None, "admin"
        else:
            value, source = _default(field), "default"
        values[key] = SettingValue(key, value, source, is_secret(field), field)
    return values


def save(session: Session, slug: str, schema_cls: type[ma.Schema], data: dict[str, Any]) -> list[str]:
    """Validate and store admin values; locked keys are refused, empty secrets keep the old value.

    :returns: the keys that were changed (never their values — they may be secret).
    :raises marshmallow.ValidationError: with per-field messages.
    """
    schema = schema_cls()
    current = resolve(session, slug, schema_cls)
    locked = [k for k in data if k in current and current[k].source == "locked"]
    if locked:
        raise ma.ValidationError({k: ["locked by configuration"] for k in locked})
    unknown = [k for k in data if k not in schema.fields]
    if unknown:
        raise ma.ValidationError({k: ["unknown setting"] for k in unknown})
    data = {k: v for k, v in data.items() if not (current[k].secret and v in (None, ""))}
    loaded = schema.load(data, partial=True)
    stored = {row.key: row for row in session.exec(select(PluginSetting).where(PluginSetting.slug == slug))}
    changed = []
    for key, value in loaded.items():
        serial = schema.fields[key].serialize(key, loaded)
        row = stored.get(key)
        if row is None:
            session.add(PluginSetting(slug=slug, key=key, value=serial))
        elif row.value != serial:
            row.value = serial
        else:
            continue
        changed.append(key)
    return changed
