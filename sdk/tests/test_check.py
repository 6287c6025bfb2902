"""`mash-sdk check`: the real plugins pass, and each fixture plugin fails with its error class.

Every fixture under ``fixtures/`` is a copy of ``fixtures/good`` with exactly one defect, so each
must produce errors of its class and nothing else.
"""

from __future__ import annotations

import re
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

#: fixture -> (file the error points at, pattern of the message)
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
def fixture_findings():
    """Findings of every fixture, checked concurrently (each check imports in a child process)."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["good"] + sorted(EXPECTED)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(names, pool.map(lambda n: check(FIXTURES / n), names)))


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "good") == sorted(EXPECTED)


def test_good_fixture_is_clean(fixture_findings):
    assert fixture_findings["good"] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_error_class(name, fixture_findings):
    root = FIXTURES / name
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


def test_cli_output_and_exit_status():
    runner = CliRunner()
    bad = runner.invoke(main, ["check", str(FIXTURES / "unknown_hook")])
    assert bad.exit_code == 1
    lines = [line for line in bad.stdout.splitlines() if line.strip()]
    assert lines and all(LINE.match(line) for line in lines), bad.stdout
    assert "plugin.py:27: mash_slot_item is not a hook" in bad.stdout
    good = runner.invoke(main, ["check", str(FIXTURES / "good")])
    assert good.exit_code == 0 and good.stdout == ""
    as_json = runner.invoke(main, ["check", "--format", "json", str(FIXTURES / "empty_msgstr")])
    assert as_json.exit_code == 1 and '"severity": "ERROR"' in as_json.stdout


def test_warnings_fail_only_with_strict(tmp_path):
    import shutil

    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "good", root)
    (root / "mash_mini" / "templates" / "mini" / "widget.html").write_text("<p>{{ _('Neu') }}</p>\n")
    findings = check(root)
    assert [f.severity for f in findings] == ["WARNING"]
    assert "'Neu' is missing from translations/en" in findings[0].message
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(root)]).exit_code == 0
    assert runner.invoke(main, ["check", "--strict", str(root)]).exit_code == 1


def test_static_mode_does_not_import(tmp_path):
    findings = check(FIXTURES / "import_error", probe=False)
    assert findings == []


def test_console_script_runs():
    exe = Path(sys.executable).with_name("mash-sdk")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "mash_sdk.cli"]
    proc = subprocess.run(cmd + ["check", str(FIXTURES / "hook_signature")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.startswith("ERROR ")
