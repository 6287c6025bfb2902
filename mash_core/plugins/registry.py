"""Discovery, validation, quarantine and isolated hook calls for plugins.

Discovery activates nothing: it imports each entry point of group ``mash.plugins``, validates it
and registers its hook implementations. Whether a plugin takes part in a request is decided per
municipality by :mod:`mash_core.plugins.state`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import inspect
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Collection, Iterable, Optional

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from sqlmodel import SQLModel

from .. import PLUGIN_API_VERSION, hookspecs
from .manifest import Manifest

ENTRY_POINT_GROUP = "mash.plugins"
CORE_SLUG = "core"
log = logging.getLogger("mash.plugins")


@dataclass
class PluginRecord:
    slug: str
    module: Optional[ModuleType] = None
    manifest: Optional[Manifest] = None
    version: str = "0"
    #: "active" (can be enabled), "quarantined" (broken; reason says why) or "off" (env override)
    state: str = "active"
    reason: str = ""
    hooks: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    slots_used: set[str] = field(default_factory=set)
    last_error: str = ""
    builtin: bool = False

    @property
    def title(self) -> str:
        return self.manifest.title if self.manifest else self.slug

    @property
    def migrations_dir(self) -> Optional[Path]:
        if self.module is None or self.builtin:
            return None
        package = importlib.import_module(self.module.__name__.split(".")[0])
        path = Path(package.__file__).parent / "migrations" / "versions"
        return path if path.is_dir() else None


def _plugin_tables(package: str) -> list[Any]:
    tables = []
    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        if cls.__module__.split(".")[0] == package and mapper.local_table is not None:
            tables.append(mapper.local_table)
    return tables


class PluginRegistry:
    def __init__(self, disabled: Iterable[str] = ()):
        self.pm = pluggy.PluginManager("mash")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.disabled_by_env = set(disabled)
        self.error_sink: Optional[Callable[[str, str, str], None]] = None
        #: blueprint name -> slug, for the per-request enabled check
        self.blueprint_owner: dict[str, str] = {}
        self.error_count = 0

    # -- discovery -------------------------------------------------------------------------
    def discover(self) -> None:
        eps = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        for ep in eps:
            version = ep.dist.version if ep.dist else "0"
            self.add(ep.name, ep.load, version=version)
        # plugins not installed as distributions, for plugin development and the worker's tests:
        # MASH_EXTRA_PLUGINS="slug=package.plugin,..."
        for spec in os.environ.get("MASH_EXTRA_PLUGINS", "").split(","):
            if "=" in spec:
                slug, module = (part.strip() for part in spec.split("=", 1))
                self.add(slug, lambda module=module: importlib.import_module(module), version="0.0.dev")
        self.resolve_requirements()

    def add_builtin(self, module: ModuleType) -> None:
        self.pm.register(module, name=CORE_SLUG)
        self.records[CORE_SLUG] = PluginRecord(
            CORE_SLUG, module=module, builtin=True, hooks=self._hook_names(module),
            manifest=getattr(module, "manifest", None),
        )

    def add(self, slug: str, loader: Callable[[], Any] | ModuleType | Any, version: str = "0") -> PluginRecord:
        """Load, validate and register one plugin. Never raises: failures quarantine it."""
        record = PluginRecord(slug, version=version)
        self.records[slug] = record
        if slug in self.disabled_by_env:
            record.state, record.reason = "off", "disabled by MASH_DISABLE_PLUGINS"
            return record
        try:
            module = loader() if callable(loader) and not isinstance(loader, ModuleType) else loader
        except Exception as exc:  # import errors must not take the portal down
            return self._quarantine(record, f"import failed: {type(exc).__name__}: {exc}")
        record.module = module
        manifest = getattr(module, "manifest", None)
        if not isinstance(manifest, Manifest):
            return self._quarantine(record, "plugin module has no `manifest = Manifest(...)`")
        manifest.version = version
        record.manifest = manifest
        problems = manifest.problems()
        if manifest.slug != slug:
            problems.append(f"entry point name {slug!r} differs from manifest slug {manifest.slug!r}")
        try:
            if PLUGIN_API_VERSION not in SpecifierSet(manifest.api):
                problems.append(f"supports plugin API {manifest.api}, core provides {PLUGIN_API_VERSION}")
        except InvalidSpecifier:
            problems.append(f"invalid plugin API specifier {manifest.api!r}")
        problems += self._table_problems(record)
        unknown = [n for n in self._hook_names(module) if not hasattr(hookspecs, n)]
        if unknown:
            problems.append("unknown hook(s): " + ", ".join(unknown))
        if problems:
            return self._quarantine(record, "; ".join(problems))
        try:
            self.pm.register(module, name=slug)
            self.pm.check_pending()
        except Exception as exc:  # pluggy.PluginValidationError and friends
            if self.pm.is_registered(module):
                self.pm.unregister(module)
            return self._quarantine(record, f"invalid hook implementation: {exc}")
        record.hooks = self._hook_names(module)
        return record

    def _table_problems(self, record: PluginRecord) -> list[str]:
        package = record.module.__name__.split(".")[0]
        problems = []
        # plugins often import their models lazily inside hooks; the check must see them now
        try:
            has_models = importlib.util.find_spec(f"{package}.models") is not None
        except ImportError:  # a plain module (no package) has no submodules
            has_models = False
        if has_models:
            try:
                importlib.import_module(f"{package}.models")
            except Exception as exc:
                return [f"models failed to import: {type(exc).__name__}: {exc}"]
        for table in _plugin_tables(package):
            record.tables.append(table.name)
            if not table.name.startswith(record.manifest.table_prefix):
                problems.append(f"table {table.name!r} lacks prefix {record.manifest.table_prefix!r}")
            if "municipality_id" not in table.c:
                problems.append(f"table {table.name!r} is not municipality-scoped (use TenantModel)")
        return problems

    @staticmethod
    def _hook_names(module: Any) -> list[str]:
        return sorted(n for n, v in inspect.getmembers(module) if n.startswith("mash_") and callable(v))

    def _quarantine(self, record: PluginRecord, reason: str) -> PluginRecord:
        record.state, record.reason = "quarantined", reason
        log.error("plugin %s quarantined: %s", record.slug, reason)
        if record.module is not None and self.pm.is_registered(record.module):
            self.pm.unregister(record.module)
        return record

    def resolve_requirements(self) -> None:
        changed = True
        while changed:
            changed = False
            for record in self.active():
                missing = [r for r in record.manifest.requires if r not in self.records
                           or self.records[r].state != "active"]
                if missing:
                    self._quarantine(record, "requires missing plugin(s): " + ", ".join(missing))
                    changed = True

    # -- queries ---------------------------------------------------------------------------
    def active(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.state == "active" and not r.builtin]

    def get(self, slug: str) -> Optional[PluginRecord]:
        return self.records.get(slug)

    # -- calling hooks ---------------------------------------------------------------------
    def call(self, name: str, slugs: Optional[Collection[str]] = None, **kwargs) -> list[tuple[str, Any]]:
        """Call hook ``name`` on each implementing plugin in ``slugs`` (all when ``None``).

        The core's built-in plugin always takes part. Returns ``(slug, result)`` for results
        that are not ``None``; an implementation that raises is recorded and skipped.
        """
        hook = getattr(self.pm.hook, name)
        results = []
        for impl in sorted(hook.get_hookimpls(), key=lambda i: (i.plugin_name != CORE_SLUG, i.plugin_name)):
            slug = impl.plugin_name
            if slugs is not None and slug != CORE_SLUG and slug not in slugs:
                continue
            try:
                result = impl.function(*[kwargs[a] for a in impl.argnames])
            except Exception as exc:
                self.record_error(slug, name, exc)
                continue
            if result is not None:
                results.append((slug, result))
        return results

    def record_error(self, slug: str, place: str, exc: BaseException) -> None:
        self.error_count += 1  # caches of slot items and pages skip results that saw an error
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        logging.getLogger(f"mash.{slug}").error("error in %s: %s", place, text, exc_info=exc)
        record = self.records.get(slug)
        if record is not None:
            record.last_error = f"{place}: {text}"
        if self.error_sink is not None:
            try:
                self.error_sink(slug, place, text)
            except Exception:  # the sink must never turn one failure into two
                log.exception("could not store error of plugin %s", slug)
