"""Fixtures for the end-to-end tests: a live portal on a demo instance and Debian's Chromium.

The portal runs as ``mash run`` in a subprocess on a free port of 127.0.0.1 with its own instance
folder (SQLite, ``MASH_NOTIFIER=file`` so e-mails land in ``<instance>/outbox``). The browser is
``/usr/bin/chromium`` driven through Playwright's sync API; pytest-playwright's own fixtures are not
used because they look for a downloaded browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("MASH_E2E_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _mash_executable() -> str:
    candidate = VENV_BIN / "mash"
    return str(candidate) if candidate.exists() else (shutil.which("mash") or "mash")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Portal:
    url: str
    instance: Path
    env: dict

    @property
    def outbox(self) -> Path:
        return self.instance / "outbox"

    def credentials(self, role: str) -> tuple[str, str]:
        """(email, password) of the first demo user having ``role``."""
        for line in (self.instance / "demo-credentials.txt").read_text().splitlines():
            email, password, roles = line.split("\t")
            if role in roles.split(","):
                return email, password
        raise LookupError(f"no demo user with role {role}")

    def mash(self, *args: str) -> str:
        """Run the ``mash`` CLI on this instance and return its stdout."""
        done = subprocess.run([_mash_executable(), *args], cwd=REPO, env=self.env, capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"mash {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"portal exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"portal did not answer within {timeout} s:\n{log.read_text()}")


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Portal:
    """A live portal with the demo data loaded, served by ``mash run`` on a free local port."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MASH_") and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env.update(MASH_INSTANCE=str(instance), MASH_NOTIFIER="file", MASH_SECRET_KEY="e2e-" + os.urandom(16).hex(),
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    port = _free_port()
    portal = Portal(url=f"http://127.0.0.1:{port}", instance=instance, env=env)
    portal.mash("demo", "load")
    log = instance / "server.log"
    # the portal alone: no worker, so no embedded MQTT broker on its fixed port
    command = [_mash_executable(), "run", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
    proc = _start(command, env, log)
    try:
        try:
            _wait_until_up(portal.url, proc, log)
        except RuntimeError:
            if proc.poll() != 2 or "--no-worker" not in log.read_text():
                raise
            command.remove("--no-worker")  # a `mash run` without a worker to switch off
            proc = _start(command, env, log)
            _wait_until_up(portal.url, proc, log)
        yield portal
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium, launched once per session."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (make browser)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def make_context(chromium, portal):
    """Factory for isolated browser contexts (own cookies) with a German browser locale.

    ``bypass_csp`` lets the test inject axe-core; the portal's own pages never need it.
    Every request of every page is recorded in ``make.requests``; after the test none of them may
    have left the machine (no CDN, no tracker, no font service).
    """
    contexts = []
    requests: list[str] = []

    def make(**options):
        options.setdefault("locale", "de-DE")
        options.setdefault("base_url", portal.url)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        ctx = chromium.new_context(bypass_csp=True, **options)
        ctx.set_default_timeout(10_000)
        ctx.on("request", lambda req: requests.append(req.url))
        contexts.append(ctx)
        return ctx

    make.requests = requests
    yield make
    for ctx in contexts:
        ctx.close()
    foreign = [u for u in requests if not is_local(u)]
    assert not foreign, f"requests left the machine: {foreign}"


def is_local(url: str) -> bool:
    """True for URLs served by this machine (or never leaving the browser: data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


@pytest.fixture
def e2e_page(make_context):
    """A page in a fresh German desktop context."""
    return make_context().new_page()


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- [{v.get('impact')}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:10]:
            target = " ".join(map(str, node.get("target", [])))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    target: {target}")
            if summary:
                lines.append(f"      {summary}")
        if len(v.get("nodes", [])) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def axe_check(page) -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page and fail on any violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS)
    violations = result["violations"]
    assert not violations, _format_violations(page.url, violations)


@pytest.fixture
def axe():
    return axe_check
