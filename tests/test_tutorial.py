"""Executes docs/plugin-tutorial.md step by step in a temporary folder, so it cannot rot.

Blocks marked ``{test}`` run in bash, ``{file=…}`` blocks are written, ``{replace=…}`` blocks
replace the function of the same name in that file, and ``{test=install}`` installs the plugin
(``pip install --target`` into the temporary folder instead of the shared venv, put on
``PYTHONPATH`` — what ``pip install -e`` achieves for the reader).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TUTORIAL = REPO / "docs" / "plugin-tutorial.md"
BLOCK = re.compile(r"^```(\w+) \{([^}]*)\}\n(.*?)^```", re.S | re.M)
BIN = Path(sys.executable).parent


def steps() -> list[tuple[str, str]]:
    return [(marker, body) for _lang, marker, body in BLOCK.findall(TUTORIAL.read_text())]


def replace_function(source: str, replacement: str) -> str:
    name = re.search(r"def (\w+)\(", replacement).group(1)
    pattern = re.compile(rf"@hookimpl\ndef {name}\(.*?(?=\n\n\n|\Z)", re.S)
    assert pattern.search(source), f"no function {name} to replace"
    return pattern.sub(lambda _m: replacement.rstrip("\n"), source, count=1)


def test_tutorial_has_the_promised_steps():
    markers = [m for m, _ in steps()]
    assert "test" in markers and "test=install" in markers
    assert any(m.startswith("file=") and m.endswith("settings.py") for m in markers)
    assert any(m.startswith("file=") and "templates" in m for m in markers)
    assert any(m.startswith("replace=") for m in markers)


def test_tutorial_runs(tmp_path):
    site = tmp_path / "site"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               MASH_INSTANCE=str(tmp_path / "instance"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("MASH_DATABASE_URL", None)
    work = tmp_path / "work"
    work.mkdir()
    for marker, body in steps():
        if marker == "test":
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, f"step failed:\n{body}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        elif marker == "test=install":
            plugin = re.search(r"pip install -e (\S+)", body).group(1)
            proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                                   str(site), str(work / plugin)], env=env, capture_output=True, text=True,
                                  timeout=300)
            assert proc.returncode == 0, proc.stderr[-3000:]
            env["PYTHONPATH"] = str(site)
        elif marker.startswith("file="):
            path = work / marker[len("file="):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
        elif marker.startswith("replace="):
            path = work / marker[len("replace="):]
            path.write_text(replace_function(path.read_text(), body))
        else:
            pytest.fail(f"unknown tutorial block marker {marker!r}")
