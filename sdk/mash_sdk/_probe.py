"""Import a plugin distribution in a child process and report what only importing can show.

Run as ``python -m mash_sdk._probe <dist-dir> <slug>``; prints one JSON object. The checker runs
it in a subprocess so that the plugin's module-level code, its SQLModel tables and its imports
never touch the checker's own process (an installed copy of the same plugin would otherwise
clash with the one being checked).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
import traceback
from pathlib import Path


def _where(exc: BaseException, root: Path) -> tuple[str, int]:
    """The innermost frame of ``exc`` inside the plugin distribution (file, line)."""
    found = ("", 0)
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            Path(frame.filename).resolve().relative_to(root)
        except ValueError:
            continue
        found = (frame.filename, frame.lineno or 0)
    if isinstance(exc, SyntaxError) and exc.filename:
        found = (exc.filename, exc.lineno or 0)
    return found


def probe(root: Path, slug: str) -> dict:
    root = root.resolve()
    sys.path.insert(0, str(root))
    package = f"mash_{slug}"
    report: dict = {"import_error": None, "manifest": None, "hookimpls": [], "pluggy_error": None,
                    "tables": [], "module_errors": []}
    # the copy being checked wins over an installed one
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    try:
        module = importlib.import_module(f"{package}.plugin")
    except BaseException as exc:  # noqa: BLE001 — anything the plugin raises is a finding
        path, line = _where(exc, root)
        report["import_error"] = {"message": f"{type(exc).__name__}: {exc}", "path": path, "line": line}
        return report
    if not Path(module.__file__).resolve().is_relative_to(root):
        report["import_error"] = {"message": f"imported {module.__file__}, not the checked copy",
                                  "path": "", "line": 0}
        return report

    import pluggy

    from mash_core import PLUGIN_API_VERSION, hookspecs
    from mash_core.plugins.manifest import Manifest

    manifest = getattr(module, "manifest", None)
    if isinstance(manifest, Manifest):
        info = {"slug": manifest.slug, "api": manifest.api, "problems": manifest.problems(),
                "settings": None, "core_api": PLUGIN_API_VERSION}
        if manifest.settings is not None:
            import marshmallow
            if not (isinstance(manifest.settings, type) and issubclass(manifest.settings, marshmallow.Schema)):
                info["settings"] = f"settings must be a marshmallow Schema class, got {manifest.settings!r}"
            else:
                try:
                    manifest.settings().load({})
                except marshmallow.ValidationError as exc:
                    info["settings"] = ("every setting needs a default (load_default) so that the plugin "
                                        f"works before an admin configures it: {sorted(exc.messages)}")
                except Exception as exc:  # noqa: BLE001
                    info["settings"] = f"settings schema fails: {type(exc).__name__}: {exc}"
        report["manifest"] = info
    else:
        report["manifest"] = {"missing": True, "type": type(manifest).__name__}

    for name, func in inspect.getmembers(module):
        if not name.startswith("mash_") or not callable(func):
            continue
        code = getattr(inspect.unwrap(func), "__code__", None)
        spec = getattr(hookspecs, name, None)
        report["hookimpls"].append({
            "name": name,
            "args": list(pluggy._hooks.varnames(func)[0]),
            "spec_args": list(pluggy._hooks.varnames(spec)[0]) if spec is not None else None,
            "marked": hasattr(func, "mash_impl"),
            "path": code.co_filename if code else "",
            "line": code.co_firstlineno if code else 0,
        })
    pm = pluggy.PluginManager("mash")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(module, name=slug)
        pm.check_pending()
    except Exception as exc:  # noqa: BLE001
        report["pluggy_error"] = f"{type(exc).__name__}: {exc}"

    # import every module of the package (not migrations, not tests) to see all tables
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, package + "."):
        if ".migrations" in info.name or ".tests" in info.name:
            continue
        try:
            importlib.import_module(info.name)
        except BaseException as exc:  # noqa: BLE001
            path, line = _where(exc, root)
            report["module_errors"].append({"module": info.name, "message": f"{type(exc).__name__}: {exc}",
                                            "path": path, "line": line})
    from sqlmodel import SQLModel

    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        if cls.__module__.split(".")[0] != package or mapper.local_table is None:
            continue
        try:
            path, line = inspect.getsourcefile(cls) or "", inspect.getsourcelines(cls)[1]
        except (OSError, TypeError):
            path, line = "", 0
        report["tables"].append({"name": mapper.local_table.name, "class": cls.__name__,
                                 "scoped": "municipality_id" in mapper.local_table.c,
                                 "path": path, "line": line})
    return report


def main() -> None:
    root, slug = Path(sys.argv[1]), sys.argv[2]
    try:
        report = probe(root, slug)
    except BaseException as exc:  # noqa: BLE001
        report = {"probe_error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write("\n@@MASH-PROBE@@" + json.dumps(report, default=str) + "\n")


if __name__ == "__main__":
    main()
