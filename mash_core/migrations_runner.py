"""Alembic for the core and one branch per plugin, in one version table.

The core's revisions carry the branch label ``core``; each plugin's first revision carries its
slug as branch label and ``depends_on`` the core's first revision. ``upgrade`` applies the
branches of the core and the active plugins only, so a quarantined plugin never blocks an upgrade.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).parent / "migrations"
log = logging.getLogger("mash.migrations")


def _migrations_dir(record) -> Optional[Path]:
    """A plugin's ``migrations/versions`` folder, found without importing a plugin that is not
    loaded (switched off by the environment, or failing to import)."""
    if record.builtin:
        return None
    if record.module is not None:
        try:
            return record.migrations_dir
        except Exception:  # a quarantined plugin's module may not be importable by name
            return None
    try:
        spec = importlib.util.find_spec(f"mash_{record.slug}")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "migrations" / "versions"
    return path if path.is_dir() else None


def alembic_config(mash, inactive: bool = True) -> Config:
    """Scripts of the core and the active plugins, and (``inactive``) those of the other
    discovered plugins: their revisions may be in the database already, and Alembic cannot
    read the version table when a recorded revision has no script."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    records = mash.registry.records.values() if inactive else mash.registry.active()
    for record in records:
        folder = _migrations_dir(record)
        if folder is not None and str(folder) not in locations:
            locations.append(str(folder))
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = mash.engine
    return cfg


def _script_config(mash) -> Config:
    """:func:`alembic_config`, falling back to the active plugins' scripts alone when an
    inactive (perhaps broken) plugin's scripts cannot be loaded."""
    cfg = alembic_config(mash)
    try:
        ScriptDirectory.from_config(cfg).get_heads()
    except Exception:
        log.exception("migration scripts of an inactive plugin cannot be loaded; ignoring them")
        cfg = alembic_config(mash, inactive=False)
    return cfg


def upgrade(mash, target: str = "heads") -> None:
    """Apply ``target``; ``heads`` means the head of the core and of every active plugin
    (an inactive plugin's pending migrations wait until it is active again)."""
    cfg = _script_config(mash)
    if target == "heads":
        script = ScriptDirectory.from_config(cfg)
        labels = {label for rev in script.walk_revisions() for label in (rev.branch_labels or ())}
        wanted = ["core"] + sorted(r.slug for r in mash.registry.active())
        targets = [f"{label}@head" for label in wanted if label in labels]
    else:
        targets = [target]
    with mash.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        for each in targets:
            command.upgrade(cfg, each)


def _own_chain(script: ScriptDirectory, head: str) -> list:
    """Revisions from ``head`` down its own ``down_revision`` line (not across depends_on)."""
    chain, todo = [], [head]
    while todo:
        rev = script.get_revision(todo.pop())
        chain.append(rev)
        down = rev.down_revision
        todo.extend([down] if isinstance(down, str) else list(down or ()))
    return chain


def status(mash) -> dict[str, dict]:
    """Per branch (``core`` and each plugin slug): current and head revision and what is pending."""
    script = ScriptDirectory.from_config(_script_config(mash))
    with mash.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    applied = set()
    for rev in current:
        applied |= {r.revision for r in script.iterate_revisions(rev, "base")}
    by_branch: dict[str, list] = {}
    for rev in script.walk_revisions():  # newest first
        labels = sorted({label for r in _own_chain(script, rev.revision) for label in (r.branch_labels or ())})
        by_branch.setdefault(labels[0] if labels else "core", []).append(rev)
    report: dict[str, dict] = {}
    for branch, revs in by_branch.items():
        pending = [r.revision for r in reversed(revs) if r.revision not in applied]
        current = next((r.revision for r in revs if r.revision in applied), None)
        report[branch] = {"head": revs[0].revision, "current": current, "pending": pending}
    return report


def pending_by_branch(mash) -> dict[str, list[str]]:
    return {branch: info["pending"] for branch, info in status(mash).items() if info["pending"]}
