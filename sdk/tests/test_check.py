"""`mash-sdk check`: the real plugins pass, and each broken plugin fails with its error class.

``fixtures/good`` is a clean plugin; every broken one is made from a copy of it with exactly one
defect planted (``DEFECTS``), so each must produce errors of its class and nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mash_sdk.check import ERROR, check
from mash_sdk.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(ERROR|WARNING) \S+:\d+: .+$")

P, MIG, TPL = "mash_mini/plugin.py", "mash_mini/migrations/versions/mini0001_notes.py", "mash_mini/templates"

#: broken plugin -> edits on a copy of fixtures/good: ("replace", file, old, new),
#: ("append", file, text), ("delete", path) or ("move", from, to)
DEFECTS = {
    "no_entry_point": [("replace", "pyproject.toml", '[project.entry-points."mash.plugins"]\nmini = "mash_mini.plugin"\n', "")],
    "entry_point_target": [("replace", "pyproject.toml", 'mini = "mash_mini.plugin"', 'mini = "mash_mini.hooks"')],
    "no_manifest": [("replace", P, "manifest = Manifest(", "MANIFEST = Manifest(")],
    "slug_mismatch": [("replace", P, 'slug="mini",', 'slug="mini2",')],
    "api_range": [("replace", P, 'api=">=1.0,<2",', 'api=">=2.0,<3",')],
    "unknown_hook": [("append", P, "\n\n@hookimpl\ndef mash_slot_item(slot, request):\n    return None\n")],
    "hook_signature": [("replace", P, "def mash_slot_items(slot, request):", "def mash_slot_items(slot, request, user):")],
    "import_error": [("replace", P, '"""Manifest and hooks of the fixture plugin."""\n',
                      '"""Manifest and hooks of the fixture plugin."""\nimport mash_mini_nonexistent_dependency  # noqa: F401\n')],
    "permission_name": [("replace", P, 'Permission("mini.manage"', 'Permission("manage_mini"')],
    "table_prefix": [("replace", MIG, '"mini_note"', '"note"'), ("replace", "mash_mini/models.py", '"mini_note"', '"note"')],
    "unscoped_table": [("replace", "mash_mini/models.py", "from mash_core.api import Field, TenantModel",
                        "from sqlmodel import SQLModel\n\nfrom mash_core.api import Field"),
                       ("replace", "mash_mini/models.py", "class Note(TenantModel, table=True):", "class Note(SQLModel, table=True):")],
    "no_migrations": [("delete", "mash_mini/migrations")],
    "branch_label": [("replace", MIG, 'branch_labels = ("mini",)', "branch_labels = None")],
    "template_location": [("move", f"{TPL}/mini/index.html", f"{TPL}/index.html"),
                          ("replace", "mash_mini/views.py", 'render("mini/index.html"', 'render("index.html"')],
    "template_layout": [("replace", f"{TPL}/mini/index.html", '{% extends "core/layout.html" %}', '<!doctype html><html lang="de"><body>')],
    "template_syntax": [("replace", f"{TPL}/mini/widget.html", "{{ _('Mini') }}", "{{ _('Mini') }")],
    "core_import": [("replace", "mash_mini/views.py", "from mash_core.api import db_session, plugin_blueprint, public, render, select",
                     "from mash_core.api import plugin_blueprint, public, render, select\nfrom mash_core.db import get_session as db_session")],
    "empty_msgstr": [("replace", "mash_mini/translations/en/LC_MESSAGES/messages.po", 'msgstr "A small example."', 'msgstr ""')],
}


def plant(root: Path, edits: list[tuple]) -> None:
    for kind, path, *rest in edits:
        target = root / path
        if kind == "delete":
            shutil.rmtree(target)
        elif kind == "move":
            (root / rest[0]).parent.mkdir(parents=True, exist_ok=True)
            target.rename(root / rest[0])
        elif kind == "append":
            target.write_text(target.read_text() + rest[0])
        else:
            old, new = rest
            text = target.read_text()
            assert old in text, f"fixtures/good changed: {old!r} not in {path}"
            target.write_text(text.replace(old, new))


#: broken plugin -> (file the error points at, pattern of the message)
EXPECTED = {
    "no_entry_point": ("pyproject.toml", r'no entry point in group "mash.plugins"'),
    "entry_point_target": ("pyproject.toml", r"must point to mash_mini.plugin"),
    "no_manifest": ("mash_mini/plugin.py", r"no module-level `manifest = Manifest"),
    "slug_mismatch": ("mash_mini/plugin.py", r"manifest slug 'mini2' differs"),
    "api_range": ("mash_mini/plugin.py", r"excludes the core's plugin API"),
    "unknown_hook": ("mash_mini/plugin.py", r"mash_slot_item is not a hook"),
    "hook_signature": ("mash_mini/plugin.py", r"argument\(s\) user not in the spec"),
    "import_error": ("mash_mini/plugin.py", r"importing mash_mini.plugin fails: ModuleNotFoundError"),
    "permission_name": ("mash_mini/plugin.py", r"permission 'manage_mini' must be named mini\.<action>"),
    "table_prefix": (None, r"'note' .*prefix|prefix .*'note'|'note' without the prefix"),
    "unscoped_table": ("mash_mini/models.py", r"has no municipality_id"),
    "no_migrations": ("mash_mini/migrations/versions", r"has no migrations"),
    "branch_label": ("mash_mini/migrations/versions/mini0001_notes.py", r"branch_labels = \('mini',\)"),
    "template_location": ("mash_mini/templates/index.html", r"must live under templates/mini/"),
    "template_layout": ("mash_mini/templates/mini/index.html", r'must \{% extends "core/layout.html" %\}'),
    "template_syntax": ("mash_mini/templates/mini/widget.html", r"template syntax error"),
    "core_import": ("mash_mini/views.py", r"imports from mash_core.db; plugins import the core only through"),
    "empty_msgstr": ("mash_mini/translations/en/LC_MESSAGES/messages.po", r"untranslated: 'Ein kleines Beispiel.'"),
}


@pytest.fixture(scope="module")
def broken_plugins(tmp_path_factory) -> Path:
    """A folder with one copy of fixtures/good per defect, each with that defect planted."""
    root = tmp_path_factory.mktemp("broken")
    for name, edits in DEFECTS.items():
        shutil.copytree(FIXTURES / "good", root / name)
        plant(root / name, edits)
    shutil.copytree(FIXTURES / "good", root / "good")
    return root


@pytest.fixture(scope="module")
def fixture_findings(broken_plugins):
    """Findings of every plugin, checked concurrently (each check imports in a child process)."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["good"] + sorted(EXPECTED)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(names, pool.map(lambda n: check(broken_plugins / n), names)))


def test_every_defect_has_an_expectation():
    assert sorted(DEFECTS) == sorted(EXPECTED)


def test_good_fixture_is_clean(fixture_findings):
    assert fixture_findings["good"] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_error_class(name, fixture_findings, broken_plugins):
    root = broken_plugins / name
    expected_file, pattern = EXPECTED[name]
    findings = fixture_findings[name]
    errors = [f for f in findings if f.severity == ERROR]
    assert errors, f"{name}: no error found"
    for finding in errors:  # only the planted defect, nothing collateral
        assert re.search(pattern, finding.message), f"{name}: unexpected {finding.format()}"
        if expected_file is not None:
            assert finding.path == root / expected_file, finding.format()
        assert finding.line >= 1


@pytest.mark.parametrize("slug", sorted(p.name for p in (REPO / "plugins").iterdir()
                                        if (p / "pyproject.toml").is_file()))
def test_repository_plugins_pass(slug):
    findings = check(REPO / "plugins" / slug)
    assert not [f.format() for f in findings if f.severity == ERROR]


def test_cli_output_and_exit_status(broken_plugins):
    runner = CliRunner()
    bad = runner.invoke(main, ["check", str(broken_plugins / "unknown_hook")])
    assert bad.exit_code == 1
    lines = [line for line in bad.stdout.splitlines() if line.strip()]
    assert lines and all(LINE.match(line) for line in lines), bad.stdout
    assert "plugin.py:27: mash_slot_item is not a hook" in bad.stdout
    good = runner.invoke(main, ["check", str(FIXTURES / "good")])
    assert good.exit_code == 0 and good.stdout == ""
    as_json = runner.invoke(main, ["check", "--format", "json", str(broken_plugins / "empty_msgstr")])
    assert as_json.exit_code == 1 and '"severity": "ERROR"' in as_json.stdout


def test_warnings_fail_only_with_strict(tmp_path):
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "good", root)
    (root / "mash_mini" / "templates" / "mini" / "widget.html").write_text("<p>{{ _('Neu') }}</p>\n")
    findings = check(root)
    assert [f.severity for f in findings] == ["WARNING"]
    assert "'Neu' is missing from translations/en" in findings[0].message
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(root)]).exit_code == 0
    assert runner.invoke(main, ["check", "--strict", str(root)]).exit_code == 1


def test_static_mode_does_not_import(broken_plugins):
    findings = check(broken_plugins / "import_error", probe=False)
    assert findings == []


def test_console_script_runs(broken_plugins):
    exe = Path(sys.executable).with_name("mash-sdk")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "mash_sdk.cli"]
    proc = subprocess.run(cmd + ["check", str(broken_plugins / "hook_signature")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.startswith("ERROR ")
