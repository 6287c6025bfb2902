"""`mash-sdk new`: scaffold → check → install → listed, enabled, page renders, job runs, its tests
pass — in under 60 s, without touching the shared virtual environment.

The generated distribution is installed with ``pip install --target`` into a temporary folder
that is put on ``PYTHONPATH`` of the child processes, which is what ``pip install -e`` does for
the portal's environment.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mash_sdk.check import check
from mash_sdk.cli import main
from mash_sdk.scaffold import ScaffoldError, create

SLUG = "maengel"
BIN = Path(sys.executable).parent


def _env(tmp_path: Path, site: Path) -> dict:
    env = dict(os.environ)
    for name in ("MASH_DATABASE_URL", "MASH_EXTRA_PLUGINS"):
        env.pop(name, None)
    others = sorted({ep.name for ep in importlib.metadata.entry_points(group="mash.plugins")} - {SLUG})
    env.update(MASH_INSTANCE=str(tmp_path / "instance"), PYTHONPATH=str(site), PYTHONUNBUFFERED="1",
               MASH_DISABLE_PLUGINS=",".join(others), MASH_SECRET_KEY="scaffold-test")
    return env


def _run(cmd, env, cwd, timeout=60) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_scaffold_check_install_run(tmp_path):
    started = time.monotonic()
    target = tmp_path / SLUG
    result = CliRunner().invoke(main, ["new", SLUG, "--dir", str(target), "--title", "Mängelmelder"])
    assert result.exit_code == 0, result.output

    # the checker finds nothing to complain about
    assert [f.format() for f in check(target)] == []

    # install (a real build of the distribution: package data, entry point, metadata)
    site = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(target)],
         dict(os.environ), tmp_path, timeout=120)
    assert (site / f"mash_{SLUG}" / "templates" / SLUG / "index.html").is_file()
    assert (site / f"mash_{SLUG}" / "migrations" / "versions").is_dir()
    env = _env(tmp_path, site)

    # the portal discovers it: demo load migrates and enables it, the CLI lists it enabled
    _run([str(BIN / "mash"), "demo", "load"], env, tmp_path)
    listed = json.loads(_run([str(BIN / "mash"), "plugins", "list", "--format", "json"], env, tmp_path).stdout)
    mine = next(p for p in listed if p["slug"] == SLUG)
    assert mine["enabled"] is True and mine["state"] == "active" and mine["title"] == "Mängelmelder"
    assert mine["pending_migrations"] == []

    # its page and tile render, its API answers, its job runs
    probe = textwrap.dedent(f"""
        import json
        from mash_core.app import create_app
        from mash_core.api import municipality_context
        app = create_app()
        client = app.test_client()
        client.environ_base["HTTP_HOST"] = "127.0.0.1"
        page = client.get("/{SLUG}/")
        home = client.get("/").get_data(as_text=True)
        api = client.get("/api/v1/{SLUG}/entries")
        jobs = dict(app.extensions["mash"].registry.call("mash_register_jobs"))["{SLUG}"]
        job = next(j for j in jobs if j.id == "purge")
        with app.app_context(), municipality_context(1):
            purged = job.func()
        print(json.dumps(dict(page=page.status_code, html=page.get_data(as_text=True), tile='data-slug="{SLUG}"' in home,
                              api=api.status_code, entries=len(api.get_json()), purged=purged)))
    """)
    out = json.loads(_run([sys.executable, "-c", probe], env, tmp_path).stdout.strip().splitlines()[-1])
    assert out["page"] == 200 and "<h1>Mängelmelder</h1>" in out["html"] and "Willkommen" in out["html"]
    assert out["tile"] is True
    assert out["api"] == 200 and out["entries"] == 2
    assert out["purged"] == 0

    # its own tests pass
    tests = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"], env, target)
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    assert time.monotonic() - started < 60, "scaffold → check → install → run → tests took too long"


def test_generated_catalogues_are_complete(tmp_path):
    from babel.messages.pofile import read_po

    create("fundbuero", tmp_path / "f", title="Fundbüro")
    for locale in ("de", "en"):
        po = tmp_path / "f" / "mash_fundbuero" / "translations" / locale / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as fh:
            catalog = read_po(fh)
        messages = [m for m in catalog if m.id]
        assert messages and all(all(m.string) if isinstance(m.string, tuple) else m.string for m in messages)
    assert "Go to the page" in (tmp_path / "f" / "mash_fundbuero" / "translations" / "en" / "LC_MESSAGES"
                                / "messages.po").read_text()


@pytest.mark.parametrize("slug", ["Bad", "1abc", "a", "with-dash", "core", "admin", "api"])
def test_rejects_bad_or_reserved_slugs(tmp_path, slug):
    with pytest.raises(ScaffoldError):
        create(slug, tmp_path / "x")


def test_refuses_non_empty_target(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="not empty"):
        create("fundbuero", tmp_path / "x")
    result = CliRunner().invoke(main, ["new", "fundbuero", "--dir", str(tmp_path / "x")])
    assert result.exit_code == 1 and "not empty" in result.output


def test_rejects_title_that_would_break_code(tmp_path):
    with pytest.raises(ScaffoldError):
        create("fundbuero", tmp_path / "x", title='Fund"büro')
