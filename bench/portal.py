#!/usr/bin/env python3
"""Portal home page versus a bare Flask app, both under gunicorn with the same workers, one run.

    .venv/bin/python bench/portal.py [--workers 2] [--requests 3000] [--concurrency 8] [--rounds 4]

What it does:

1. creates a temporary instance (SQLite) and loads the demo (Heidelberg, every installed plugin
   enabled) with ``mash_core.demo.load``;
2. starts the portal (``gunicorn 'mash_core.wsgi:app'``, ``MASH_INSTANCE`` = the temp instance)
   and a bare Flask app that renders a comparable Jinja page (layout with head links, header,
   navigation loop, tiles loop, footer; padded to the portal page's size; no database, no
   session, no plugins) with the same gunicorn worker count and worker class;
3. drives both from a Python thread pool of raw HTTP/1.1 clients on 127.0.0.1 (connections are
   re-used when the server allows it; gunicorn's sync workers close them): a warm-up, then
   ``--rounds`` rounds in alternating order (portal first, then bare first, …), each bounded by
   a request count and ``--max-seconds``;
4. times the per-request plugin-state check in-process: the municipality lookup by host name plus
   ``PluginStates.enabled`` as done by ``mash_core.web.lifecycle._before_request``.

Prints progress on stderr and ONE JSON object as the last line of stdout. The load generator
runs on the same machine and competes for the same CPUs; this is reported with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- HTTP client -------------------------------------------------------------------------------
class Client:
    """A minimal HTTP/1.1 GET client on one socket: cheap, so the generator is not the bottleneck."""

    def __init__(self, port: int, path: str = "/", cookie: str = ""):
        headers = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: mash-bench",
                   "Accept: text/html", "Accept-Language: de"]
        if cookie:
            headers.append(f"Cookie: {cookie}")
        self.request = ("\r\n".join(headers) + "\r\n\r\n").encode()
        self.port = port
        self.sock: socket.socket | None = None
        self.last_headers: dict[str, str] = {}

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def get(self) -> tuple[int, bytes]:
        for attempt in range(2):
            reused = self.sock is not None
            if self.sock is None:
                self.sock = socket.create_connection((HOST, self.port), timeout=30)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.sock.sendall(self.request)
                return self._read()
            except (ConnectionError, socket.timeout, OSError):
                self.close()
                if not reused or attempt:
                    raise
        raise ConnectionError("unreachable")

    def _read(self) -> tuple[int, bytes]:
        sock = self.sock
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before headers")
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.last_headers = headers
        length = headers.get("content-length")
        if length is not None:
            need = int(length)
            while len(body) < need:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed mid-body")
                body += chunk
        else:  # no length: the body ends when the server closes
            while chunk := sock.recv(65536):
                body += chunk
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body


def run_phase(port: int, n: int, concurrency: int, max_seconds: float, cookie: str,
              server_pid: int | None = None) -> dict:
    """``n`` GET / with ``concurrency`` threads, stopping early after ``max_seconds``."""
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        client = Client(port, "/", cookie)
        mine: list[float] = []
        bad = 0
        while True:
            with lock:
                if issued[0] >= n:
                    break
                issued[0] += 1
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            try:
                status, _ = client.get()
                if status != 200:
                    bad += 1
            except OSError:
                bad += 1
                client.close()
            mine.append(time.perf_counter() - t0)
        client.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    server0 = tree_cpu_seconds(server_pid) if server_pid else float("nan")
    cpu0 = os.times()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu1 = os.times()
    server1 = tree_cpu_seconds(server_pid) if server_pid else float("nan")
    return {"requests": len(latencies), "errors": errors[0], "elapsed": elapsed, "latencies": latencies,
            "client_cpu_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
            "server_cpu_s": server1 - server0}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# -- servers -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_bin() -> str:
    local = Path(sys.executable).with_name("gunicorn")
    if local.exists():
        return str(local)
    found = shutil.which("gunicorn")
    if not found:
        sys.exit("gunicorn not found; install the core (`make install`)")
    return found


def start_gunicorn(app: str, port: int, workers: int, env: dict, cwd: Path, logfile: Path) -> subprocess.Popen:
    cmd = [gunicorn_bin(), "-w", str(workers), "-b", f"{HOST}:{port}", "--worker-class", "sync",
           "--log-level", "warning", app]
    out = logfile.open("w")
    return subprocess.Popen(cmd, env=env, cwd=str(cwd), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(port: int, proc: subprocess.Popen, logfile: Path, timeout: float = 90) -> bytes:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"server on port {port} exited:\n{logfile.read_text()[-3000:]}")
        try:
            client = Client(port)
            status, body = client.get()
            client.close()
            if status == 200:
                return body
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"server on port {port} not ready after {timeout}s:\n{logfile.read_text()[-3000:]}")


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of process ``pid`` and its children (the gunicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        for proc_dir in Path("/proc").iterdir():
            if proc_dir.name.isdigit():
                try:
                    stat = (proc_dir / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(proc_dir.name))
    except OSError:
        return float("nan")
    total = 0.0
    for p in pids:
        try:
            fields = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the gunicorn arbiter we started, and its workers
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


BARE_APP = textwrap.dedent('''\
    """Bare Flask app for bench/portal.py: a comparable Jinja page, no database, no plugins."""
    import json
    from pathlib import Path

    from flask import Flask, render_template
    from jinja2 import DictLoader

    CONFIG = json.loads((Path(__file__).parent / "bare_config.json").read_text())
    LAYOUT = """<!doctype html>
    <html lang="de">
    <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>{% block title %}{% endblock %} – {{ site.name }}</title>
      <link rel="stylesheet" href="{{ url_for('static', filename='css/site.css') }}">
      <link rel="manifest" href="/manifest.webmanifest">
      <script src="{{ url_for('static', filename='js/site.js') }}" defer></script>
    </head>
    <body>
      <a class="skip-link" href="#main">Zum Inhalt springen</a>
      <header class="site-header"><div class="header-inner">
        <a class="brand" href="{{ url_for('home') }}"><span>{{ site.name }}</span></a>
        <form class="lang-switch" method="post" action="/sprache">
          <button type="submit" name="lang" value="en" lang="en">English</button></form>
        <div class="account-links"><a href="/anmelden">Anmelden</a> <a href="/registrieren">Registrieren</a></div>
      </div>
      <nav class="main-nav" aria-label="Hauptnavigation"><ul>
        {% for item in nav %}<li><a href="{{ item.href }}" data-slug="{{ item.slug }}">{{ item.label }}</a></li>
        {% endfor %}</ul></nav>
      </header>
      <main id="main" tabindex="-1">{% block content %}{% endblock %}</main>
      <footer class="site-footer"><div class="footer-inner">
        <p>{{ site.name }} · {{ site.address }} · <a href="mailto:{{ site.email }}">{{ site.email }}</a></p>
        <nav aria-label="Rechtliches und Service"><ul>
          {% for item in footer %}<li><a href="{{ item.href }}">{{ item.label }}</a></li>{% endfor %}
        </ul></nav></div></footer>
    </body>
    </html>
    """
    HOME = """{% extends "layout.html" %}
    {% block title %}Startseite{% endblock %}
    {% block content %}
    <h1>Willkommen bei den digitalen Diensten von {{ site.name }}</h1>
    <p class="lead">Hier finden Sie die Online-Angebote Ihrer Stadt an einem Ort.</p>
    <ul class="tiles">
    {% for tile in tiles %}
      <li class="tile" data-slug="{{ tile.slug }}"><h2><a href="{{ tile.href }}">{{ tile.title }}</a></h2>
        <p>{{ tile.text }}</p></li>
    {% endfor %}
    </ul>
    <p class="filler">{{ filler }}</p>
    {% endblock %}
    """
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"layout.html": LAYOUT, "home.html": HOME})
    WORDS = "Bürgerinnen und Bürger finden hier alle digitalen Angebote der Stadt an einem Ort. "


    def _page(filler):
        return render_template("home.html", site=CONFIG["site"], nav=CONFIG["nav"], tiles=CONFIG["tiles"],
                               footer=CONFIG["footer"], filler=filler)


    FILLER = ""


    @app.get("/")
    def home():
        return _page(FILLER)


    with app.test_request_context("/"):  # pad the page to the portal page's size
        base = len(_page("").encode())
        missing = max(0, CONFIG["target_bytes"] - base)
        FILLER = (WORDS * (missing // len(WORDS.encode()) + 1))[:missing]
        while len(_page(FILLER).encode()) > CONFIG["target_bytes"] and FILLER:
            FILLER = FILLER[: -max(1, (len(_page(FILLER).encode()) - CONFIG["target_bytes"]) // 2)]
''')


def bare_config(html: str) -> dict:
    """Nav items, tiles and byte size of the portal page, so the bare page has the same shape."""
    nav = re.findall(r'<li><a href="([^"]*)" data-slug="([^"]*)"[^>]*>([^<]*)</a></li>', html)
    tiles = re.findall(r'<li class="tile" data-slug="([^"]*)">\s*<h2><a href="([^"]*)">([^<]*)</a></h2>\s*<p>([^<]*)</p>',
                       html)
    footer = re.findall(r'<footer.*', html, re.S)
    footer_links = re.findall(r'<li><a href="([^"]*)">([^<]*)</a></li>', footer[0] if footer else "")
    return {
        "target_bytes": len(html.encode()),
        "site": {"name": "Stadt Heidelberg", "address": "Marktplatz 10, 69117 Heidelberg",
                 "email": "buergeramt@heidelberg.de"},
        "nav": [{"href": h, "slug": s, "label": label} for h, s, label in nav],
        "tiles": [{"slug": s, "href": h, "title": t, "text": x} for s, h, t, x in tiles],
        "footer": [{"href": h, "label": label} for h, label in footer_links],
    }


# -- in-process measurements ------------------------------------------------------------------
def setup_instance(folder: Path):
    from mash_core import demo
    from mash_core.app import create_app
    from mash_core.config import Settings

    settings = Settings.from_env(instance=folder)
    app = create_app(settings)
    for line in demo.load(app):
        log(f"demo: {line}")
    return app


def measure_state_check(app, iterations: int) -> dict:
    """Cost of the per-request plugin gate: host → municipality lookup + enabled-plugin check."""
    from mash_core.db import get_session
    from mash_core.web.lifecycle import resolve_municipality

    mash = app.extensions["mash"]

    def one() -> None:
        with app.app_context():  # a fresh session per iteration, closed at teardown like a request
            municipality = resolve_municipality(f"{HOST}:5000")
            mash.states.enabled(get_session(), municipality)

    for _ in range(min(200, iterations)):
        one()
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        one()
        samples.append(time.perf_counter() - t0)
    with app.app_context():
        session = get_session()
        municipality = resolve_municipality(HOST)
        t0 = time.perf_counter()
        for _ in range(iterations):
            mash.states.enabled(session, municipality)
        enabled_only = (time.perf_counter() - t0) / iterations
    return {"state_check_ms": round(statistics.mean(samples) * 1000, 4),
            "state_check_p95_ms": round(percentile(samples, 0.95) * 1000, 4),
            "state_check_enabled_only_ms": round(enabled_only * 1000, 5),
            "state_check_iterations": iterations}


def profile_home(app, requests: int) -> str:
    """pyinstrument text profile of ``requests`` in-process GET / (no HTTP server)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return "pyinstrument is not installed (pip install pyinstrument)"
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = HOST
    for _ in range(20):
        client.get("/")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        client.get("/")
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import gunicorn
        gversion = gunicorn.__version__
    except ImportError:
        gversion = "?"
    return {"nproc": os.cpu_count(), "cpu": model, "loadavg_1m": round(os.getloadavg()[0], 2), "python": platform.python_version(),
            "platform": platform.platform(), "gunicorn": gversion}


# -- main --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for both apps")
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per app (all rounds)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, alternating which app goes first")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per app first")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="upper bound per measured phase")
    parser.add_argument("--state-iterations", type=int, default=5000)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also profile N in-process home-page requests with pyinstrument (stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance and logs")
    args = parser.parse_args()

    for name in ("MASH_DATABASE_URL", "MASH_DISABLE_PLUGINS"):
        os.environ.pop(name, None)  # the benchmark always runs on its own SQLite instance
    tmp = Path(tempfile.mkdtemp(prefix="mash-bench-"))
    instance = tmp / "instance"
    os.environ["MASH_INSTANCE"] = str(instance)
    portal = bare = nocache = None
    try:
        log(f"instance {instance}")
        app = setup_instance(instance)
        plugins = sorted(r.slug for r in app.extensions["mash"].registry.active())
        env = dict(os.environ, MASH_INSTANCE=str(instance), PYTHONUNBUFFERED="1")
        portal_port, bare_port = free_port(), free_port()
        portal = start_gunicorn("mash_core.wsgi:app", portal_port, args.workers, env, REPO, tmp / "portal.log")
        # the same portal with its anonymous page cache off: every request renders the page
        nocache_port = free_port()
        nocache = start_gunicorn("mash_core.wsgi:app", nocache_port, args.workers,
                                 dict(env, MASH_PAGE_CACHE="0"), REPO, tmp / "portal-nocache.log")
        html = wait_ready(portal_port, portal, tmp / "portal.log").decode()
        config = bare_config(html)
        (tmp / "bare_config.json").write_text(json.dumps(config))
        (tmp / "bare_app.py").write_text(BARE_APP)
        bare = start_gunicorn("bare_app:app", bare_port, args.workers, env, tmp, tmp / "bare.log")
        bare_html = wait_ready(bare_port, bare, tmp / "bare.log")
        log(f"portal page {len(html.encode())} B ({len(config['nav'])} nav items, {len(config['tiles'])} tiles); "
            f"bare page {len(bare_html)} B")

        # a returning visitor: send back the session cookie the portal sets
        probe = Client(portal_port)
        probe.get()
        cookie = probe.last_headers.get("set-cookie", "").split(";")[0]
        probe.close()

        wait_ready(nocache_port, nocache, tmp / "portal-nocache.log")
        targets = {"portal": (portal_port, cookie, portal.pid), "bare": (bare_port, "", bare.pid),
                   "portal_uncached": (nocache_port, cookie, nocache.pid)}
        for name, (port, ck, pid) in targets.items():
            run_phase(port, args.warmup, args.concurrency, args.max_seconds, ck)
        per_round = max(1, args.requests // args.rounds)
        results = {name: [] for name in targets}
        for r in range(args.rounds):
            order = ["portal", "bare", "portal_uncached"] if r % 2 == 0 else ["portal_uncached", "bare", "portal"]
            for name in order:
                port, ck, pid = targets[name]
                phase = run_phase(port, per_round, args.concurrency, args.max_seconds, ck, pid)
                results[name].append(phase)
                log(f"round {r + 1} {name}: {phase['requests'] / phase['elapsed']:.1f} req/s, "
                    f"{phase['errors']} errors")

        def summary(phases: list[dict]) -> dict:
            lat = [x for p in phases for x in p["latencies"]]
            elapsed = sum(p["elapsed"] for p in phases)
            return {"rps": len(lat) / elapsed, "p50": percentile(lat, 0.5) * 1000,
                    "p95": percentile(lat, 0.95) * 1000, "requests": len(lat),
                    "errors": sum(p["errors"] for p in phases),
                    "rounds_rps": [round(p["requests"] / p["elapsed"], 1) for p in phases],
                    "client_cpu_share": sum(p["client_cpu_s"] for p in phases) / elapsed / (os.cpu_count() or 1),
                    "server_cpu_ms": sum(p["server_cpu_s"] for p in phases) / max(1, len(lat)) * 1000}

        p, b = summary(results["portal"]), summary(results["bare"])
        u = summary(results["portal_uncached"])
        stop(portal), stop(bare), stop(nocache)
        portal = bare = nocache = None
        log("timing the plugin-state check in-process")
        state = measure_state_check(app, args.state_iterations)
        if args.profile:
            log("profiling the home page in-process")
            print(profile_home(app, args.profile), file=sys.stderr)
        result = {
            "portal_rps": round(p["rps"], 1),
            "bare_rps": round(b["rps"], 1),
            "ratio": round(p["rps"] / b["rps"], 3),
            "p50_ms": round(p["p50"], 2),
            "p95_ms": round(p["p95"], 2),
            "portal_uncached_rps": round(u["rps"], 1),
            "ratio_uncached": round(u["rps"] / b["rps"], 3),
            "uncached_p50_ms": round(u["p50"], 2),
            "uncached_p95_ms": round(u["p95"], 2),
            "uncached_server_cpu_ms": round(u["server_cpu_ms"], 3),
            "bare_p50_ms": round(b["p50"], 2),
            "bare_p95_ms": round(b["p95"], 2),
            # CPU the gunicorn workers spent per request: robust against other load on the machine
            "portal_server_cpu_ms": round(p["server_cpu_ms"], 3),
            "bare_server_cpu_ms": round(b["server_cpu_ms"], 3),
            "cpu_ratio": round(b["server_cpu_ms"] / p["server_cpu_ms"], 3) if p["server_cpu_ms"] else None,
            **state,
            "target": {"ratio_min": 0.7, "state_check_ms_max": 1.0},
            "meets_target": bool(p["rps"] / b["rps"] >= 0.7 and state["state_check_ms"] < 1.0),
            "portal_rounds_rps": p["rounds_rps"],
            "bare_rounds_rps": b["rounds_rps"],
            "errors": {"portal": p["errors"], "bare": b["errors"]},
            "requests": {"portal": p["requests"], "bare": b["requests"], "warmup_each": args.warmup},
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "workers": args.workers,
            "worker_class": "sync",
            "client": "python threads, raw HTTP/1.1 on 127.0.0.1, same machine",
            "client_cpu_share": {"portal": round(p["client_cpu_share"], 3), "bare": round(b["client_cpu_share"], 3)},
            "page_bytes": {"portal": len(html.encode()), "bare": len(bare_html)},
            "plugins": plugins,
            "database": "sqlite (temp instance, WAL)",
            "machine": machine(),
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
        }
    finally:
        stop(portal)
        stop(bare)
        stop(nocache)
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
