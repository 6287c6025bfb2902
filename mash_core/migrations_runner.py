"""Alembic for the core and one branch per plugin, in one version table.

The core's revisions carry the branch label ``core``; each plugin's first revision carries its
slug as branch label and ``depends_on`` the core's first revision. Only active plugins'
version folders are on the path, so a quarantined plugin never blocks an upgrade.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).parent / "migrations"


def alembic_config(mash) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    for record in mash.registry.active():
        if record.migrations_dir is not None:
            locations.append(str(record.migrations_dir))
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = mash.engine
    return cfg


def upgrade(mash, target: str = "heads") -> None:
    cfg = alembic_config(mash)
    with mash.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


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
    script = ScriptDirectory.from_config(alembic_config(mash))
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
