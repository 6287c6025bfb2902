"""``mash-sdk check``: validate a plugin distribution directory before it is installed anywhere.

Most checks read the files statically (``tomllib``, :mod:`ast`, Jinja's parser, Babel's PO
reader), so that they point at a file and line; the hookimpl signatures, the manifest object and
the SQLModel tables are checked by importing the plugin in a child process
(:mod:`mash_sdk._probe`). Each finding is one line::

    ERROR plugins/foo/mash_foo/plugin.py:12: mash_slot_item is not a hook of mash_core.hookspecs

Errors make the plugin unusable or break the contract (the core would quarantine it, or it
would fail on another installation); warnings are likely mistakes.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from packaging.specifiers import InvalidSpecifier, SpecifierSet

ERROR, WARNING = "ERROR", "WARNING"
ENTRY_POINT_GROUP = "mash.plugins"
SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,30}$")
CORE_LAYOUT = "core/layout.html"
FACADE = "mash_core.api"
_EXTENDS = re.compile(r"{%-?\s*extends\s+(['\"])(?P<name>[^'\"]+)\1\s*-?%}")
_PAGE = re.compile(r"<(html|body|h1)\b", re.I)


@dataclass(frozen=True)
class Finding:
    severity: str
    path: Path
    line: int
    message: str

    def format(self, base: Optional[Path] = None) -> str:
        path = self.path
        if base is not None:
            try:
                path = self.path.relative_to(base)
            except ValueError:
                pass
        return f"{self.severity} {path}:{max(self.line, 1)}: {self.message}"


class Checker:
    """Collects findings for one plugin distribution at ``root``."""

    def __init__(self, root: Path, probe: bool = True):
        self.root = Path(root)
        self.findings: list[Finding] = []
        self.slug: Optional[str] = None
        self.probe_enabled = probe
        self.static_tables: set[str] = set()
        self.static_manifest_problem = False  # manifest missing or malformed, already reported
        self.static_slug_checked = False  # manifest slug was a literal and compared statically
        self.migration_tables: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------
    def error(self, path: Path, line: int, message: str) -> None:
        self.findings.append(Finding(ERROR, self._local(path), line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        self.findings.append(Finding(WARNING, self._local(path), line, message))

    def _local(self, path) -> Path:
        """Paths reported by the child process are absolute; show them under ``root`` as given."""
        path = Path(path)
        if path.is_absolute():
            try:
                return self.root / path.resolve().relative_to(self.root.resolve())
            except ValueError:
                return path
        return path

    @property
    def package_dir(self) -> Path:
        return self.root / f"mash_{self.slug}"

    def py_files(self, include_migrations: bool = True) -> list[Path]:
        files = sorted(self.package_dir.rglob("*.py"))
        if not include_migrations:
            files = [f for f in files if "migrations" not in f.relative_to(self.package_dir).parts]
        return [f for f in files if "__pycache__" not in f.parts]

    def parse(self, path: Path) -> Optional[ast.Module]:
        try:
            return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            self.error(path, exc.lineno or 1, f"syntax error: {exc.msg}")
        except UnicodeDecodeError as exc:
            self.error(path, 1, f"not UTF-8: {exc}")
        return None

    # -- the checks ----------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        if not self.root.is_dir():
            self.error(self.root, 1, "not a directory")
            return self.findings
        self.check_pyproject()
        if self.slug is None:
            return self.findings
        if not self.package_dir.is_dir():
            self.error(self.package_dir, 1, f"package directory mash_{self.slug}/ is missing")
            return self.findings
        plugin_tree = self.check_plugin_module()
        self.check_imports()
        self.check_models()
        self.check_migrations()
        self.check_templates()
        self.check_translations()
        if self.probe_enabled and plugin_tree is not None:
            self.check_by_import(plugin_tree)
        self.findings.sort(key=lambda f: (str(f.path), f.line, f.severity, f.message))
        return self.findings

    def check_pyproject(self) -> None:
        path = self.root / "pyproject.toml"
        if not path.is_file():
            self.error(path, 1, "pyproject.toml is missing")
            self._guess_slug()
            return
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.error(path, getattr(exc, "lineno", 1), f"invalid TOML: {exc}")
            self._guess_slug()
            return
        lines = text.splitlines()

        def line_of(pattern: str) -> int:
            for number, line in enumerate(lines, 1):
                if re.search(pattern, line):
                    return number
            return 1

        project = data.get("project", {})
        eps = project.get("entry-points", {}).get(ENTRY_POINT_GROUP)
        if not eps:
            self.error(path, line_of(r"^\[project"), f'no entry point in group "{ENTRY_POINT_GROUP}" '
                       f'([project.entry-points."{ENTRY_POINT_GROUP}"] <slug> = "mash_<slug>.plugin")')
            self._guess_slug()
        else:
            if len(eps) > 1:
                self.error(path, line_of(re.escape(ENTRY_POINT_GROUP)),
                           f"one distribution registers one plugin; found {len(eps)}: {', '.join(sorted(eps))}")
            name, target = next(iter(eps.items()))
            ep_line = line_of(rf"^\s*\"?{re.escape(name)}\"?\s*=")
            self.slug = name
            if not SLUG_RE.match(name):
                self.error(path, ep_line, f"entry point name {name!r} is not a valid slug ({SLUG_RE.pattern})")
            if target != f"mash_{name}.plugin":
                self.error(path, ep_line, f"entry point {name} must point to mash_{name}.plugin, not {target!r}")
        dist = project.get("name")
        if self.slug and dist not in (f"mash-{self.slug}", f"mash_{self.slug}"):
            self.error(path, line_of(r"^name\s*="), f"distribution must be named mash-{self.slug}, not {dist!r}")
        deps = " ".join(project.get("dependencies", []))
        if "mash-core" not in deps and "mash_core" not in deps:
            self.warn(path, line_of(r"^dependencies"), "the distribution should depend on mash-core "
                      "(with the core version range it was tested with)")
        if self.slug:
            self._check_package_data(path, data, line_of)

    def _check_package_data(self, path: Path, data: dict, line_of) -> None:
        backend = data.get("build-system", {}).get("build-backend", "")
        if "setuptools" not in backend:
            return
        globs = data.get("tool", {}).get("setuptools", {}).get("package-data", {}).get(f"mash_{self.slug}", [])
        for folder in ("templates", "static", "translations", "migrations"):
            if (self.root / f"mash_{self.slug}" / folder).is_dir() and not any(g.startswith(folder) for g in globs):
                self.warn(path, line_of(r"package-data") if globs else 1,
                          f"mash_{self.slug}/{folder}/ is not in [tool.setuptools.package-data]; "
                          "a non-editable install would lose it")

    def _guess_slug(self) -> None:
        packages = [p.name[5:] for p in self.root.glob("mash_*") if p.is_dir() and (p / "plugin.py").exists()]
        if len(packages) == 1:
            self.slug = packages[0]

    # plugin.py ------------------------------------------------------------------------------
    def check_plugin_module(self) -> Optional[ast.Module]:
        path = self.package_dir / "plugin.py"
        if not path.is_file():
            self.error(path, 1, f"mash_{self.slug}/plugin.py is missing (manifest and hook implementations)")
            return None
        tree = self.parse(path)
        if tree is None:
            return None
        manifest_call = None
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "manifest" for t in targets):
                    value = node.value
                    if isinstance(value, ast.Call) and _call_name(value) == "Manifest":
                        manifest_call = value
                    else:
                        self.error(path, node.lineno, "`manifest` must be assigned `Manifest(...)`")
                        self.static_manifest_problem = True
                        return tree
        if manifest_call is None:
            self.static_manifest_problem = True
            self.error(path, 1, "plugin.py defines no module-level `manifest = Manifest(...)`")
            return tree
        self._check_manifest(path, manifest_call)
        return tree

    def _check_manifest(self, path: Path, call: ast.Call) -> None:
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        positional = ["slug", "title", "description", "api"]
        for name, value in zip(positional, call.args):
            kwargs.setdefault(name, value)
        slug_node = kwargs.get("slug")
        if slug_node is None:
            self.error(path, call.lineno, "Manifest needs slug=")
        elif isinstance(slug_node, ast.Constant):
            self.static_slug_checked = True
            if slug_node.value != self.slug:
                self.error(path, slug_node.lineno, f"manifest slug {slug_node.value!r} differs from the "
                           f"entry point name {self.slug!r}")
        for required in ("title", "description"):
            if required not in kwargs:
                self.error(path, call.lineno, f"Manifest needs {required}=")
        api = kwargs.get("api")
        if api is None:
            self.warn(path, call.lineno, 'state the supported plugin API range explicitly, e.g. api=">=1.0,<2"')
        elif isinstance(api, ast.Constant) and isinstance(api.value, str):
            from mash_core import PLUGIN_API_VERSION

            try:
                spec = SpecifierSet(api.value)
            except InvalidSpecifier:
                self.error(path, api.lineno, f"api={api.value!r} is not a PEP 440 version specifier")
            else:
                if PLUGIN_API_VERSION not in spec:
                    self.error(path, api.lineno, f"api={api.value!r} excludes the core's plugin API "
                               f"{PLUGIN_API_VERSION}: the core would quarantine the plugin")
                if not any(s.operator in ("<", "<=", "~=", "==") for s in spec):
                    self.warn(path, api.lineno, f"api={api.value!r} has no upper bound; "
                              "bound it below the next major plugin API (e.g. <2)")
        perms = kwargs.get("permissions")
        if perms is not None:
            for node in ast.walk(perms):
                if isinstance(node, ast.Call) and _call_name(node) == "Permission":
                    name = node.args[0] if node.args else next(
                        (k.value for k in node.keywords if k.arg == "name"), None)
                    if isinstance(name, ast.Constant) and isinstance(name.value, str):
                        if not re.match(rf"^{re.escape(self.slug)}\.[a-z][a-z0-9_]*$", name.value):
                            self.error(path, node.lineno, f"permission {name.value!r} must be named "
                                       f"{self.slug}.<action> (lower-case action)")
                        if len(node.args) < 2 and not any(k.arg == "description" for k in node.keywords):
                            self.error(path, node.lineno, f"permission {name.value!r} needs a description")
        for key in ("requires", "uses"):
            node = kwargs.get(key)
            if isinstance(node, (ast.Tuple, ast.List)):
                for elt in node.elts:
                    if isinstance(elt, ast.Constant) and elt.value == self.slug:
                        self.error(path, elt.lineno, f"a plugin cannot list itself in {key}")

    # imports --------------------------------------------------------------------------------
    def check_imports(self) -> None:
        for path in self.py_files(include_migrations=False):
            tree = self.parse(path)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if _is_core_internal(alias.name):
                            self.error(path, node.lineno, f"imports {alias.name}; plugins import the core "
                                       f"only through {FACADE}")
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module == "mash_core":
                        bad = [a.name for a in node.names if a.name != "api"]
                        if bad:
                            self.error(path, node.lineno, f"imports {', '.join(bad)} from mash_core; plugins "
                                       f"import the core only through {FACADE}")
                    elif _is_core_internal(node.module):
                        self.error(path, node.lineno, f"imports from {node.module}; plugins import the "
                                   f"core only through {FACADE}")

    # models ---------------------------------------------------------------------------------
    def check_models(self) -> None:
        prefix = f"{self.slug}_"
        for path in self.py_files(include_migrations=False):
            tree = self.parse(path)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef):
                    continue
                is_table = any(k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True
                               for k in node.keywords)
                tablename = None
                for stmt in node.body:
                    target = None
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        target = stmt.targets[0]
                    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                        target = stmt.target
                    if isinstance(target, ast.Name) and target.id == "__tablename__":
                        value = stmt.value
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            tablename = (value.value, stmt.lineno)
                if tablename is not None:
                    name, line = tablename
                    self.static_tables.add(name)
                    if not name.startswith(prefix):
                        self.error(path, line, f"table {name!r} must start with the prefix {prefix!r}")
                elif is_table:
                    default = node.name.lower()
                    self.static_tables.add(default)
                    if not default.startswith(prefix):
                        self.error(path, node.lineno, f"table class {node.name} has no __tablename__; its "
                                   f"default name {default!r} lacks the prefix {prefix!r}")

    # migrations -----------------------------------------------------------------------------
    def check_migrations(self) -> None:
        folder = self.package_dir / "migrations" / "versions"
        files = sorted(p for p in folder.glob("*.py")) if folder.is_dir() else []
        if not files:
            if self.static_tables:
                self.error(folder, 1, f"the plugin defines tables ({', '.join(sorted(self.static_tables))}) "
                           f"but has no migrations in mash_{self.slug}/migrations/versions/")
            return
        revisions: dict[str, tuple[Path, dict]] = {}
        for path in files:
            tree = self.parse(path)
            if tree is None:
                continue
            values = _module_constants(tree)
            if "revision" not in values:
                self.error(path, 1, "migration has no `revision = \"...\"`")
                continue
            rev = values["revision"][0]
            if rev in revisions:
                self.error(path, values["revision"][1], f"revision {rev!r} also defined in "
                           f"{revisions[rev][0].name}")
            revisions[rev] = (path, values)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _call_name(node) == "create_table" and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        self.migration_tables.add(first.value)
                        if not first.value.startswith(f"{self.slug}_"):
                            self.error(path, node.lineno, f"migration creates table {first.value!r} "
                                       f"without the prefix {self.slug}_")
        roots = []
        downs: set[str] = set()
        for rev, (path, values) in revisions.items():
            down = values.get("down_revision", (None, 1))
            down_ids = [down[0]] if isinstance(down[0], str) else list(down[0] or ())
            downs.update(down_ids)
            for d in down_ids:
                if d not in revisions:
                    self.error(path, down[1], f"down_revision {d!r} is not a revision of this plugin")
            if not down_ids:
                roots.append((rev, path, values))
        if len(roots) != 1:
            self.error(folder, 1, f"the plugin's migrations need exactly one first revision "
                       f"(down_revision = None); found {len(roots)}")
        for rev, path, values in roots:
            labels, line = values.get("branch_labels", (None, 1))
            if isinstance(labels, str):
                labels = (labels,)
            if tuple(labels or ()) != (self.slug,):
                self.error(path, line, f"the first revision must carry branch_labels = ({self.slug!r},) "
                           f"so that the plugin has its own Alembic branch; found {labels!r}")
            depends, line = values.get("depends_on", (None, 1))
            if not depends:
                self.warn(path, line, "the first revision should depend on the core's first revision "
                          '(depends_on = "core0001") so that core tables exist first')
        heads = [rev for rev in revisions if rev not in downs]
        if len(heads) > 1:
            self.error(folder, 1, f"the plugin branch has {len(heads)} heads ({', '.join(sorted(heads))}); "
                       "merge them")
        for table in sorted(self.static_tables - self.migration_tables):
            self.warn(folder, 1, f"table {table!r} is defined in a model but no migration creates it")

    # templates ------------------------------------------------------------------------------
    def check_templates(self) -> None:
        folder = self.package_dir / "templates"
        if not folder.is_dir():
            return
        from jinja2 import Environment, TemplateSyntaxError

        env = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"])
        own = folder / self.slug
        extends: dict[str, tuple[Optional[str], Path, int, bool]] = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder)
            if rel.parts[0] != self.slug:
                self.error(path, 1, f"templates must live under templates/{self.slug}/ so that names never "
                           f"collide between plugins (found templates/{rel})")
            if path.suffix not in (".html", ".htm", ".txt", ".xml", ".j2", ".jinja"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                env.parse(text)
            except TemplateSyntaxError as exc:
                self.error(path, exc.lineno or 1, f"template syntax error: {exc.message}")
                continue
            match = _EXTENDS.search(text)
            line = text.count("\n", 0, match.start()) + 1 if match else 1
            page = bool(_PAGE.search(text)) or match is not None
            extends[rel.as_posix()] = (match.group("name") if match else None, path, line, page)
        for name, (parent, path, line, page) in extends.items():
            if not page:
                continue  # a partial (widget, section, include) without <html>/<h1>
            if parent is None:
                self.error(path, line, f'full-page template must {{% extends "{CORE_LAYOUT}" %}} '
                           "(it has <html>, <body> or <h1>)")
                continue
            seen, current = {name}, parent
            while current in extends and current not in seen:
                seen.add(current)
                current = extends[current][0]
            if current != CORE_LAYOUT:
                self.error(path, line, f"template extends {parent!r}, which does not lead to "
                           f"{CORE_LAYOUT!r}: pages must use the portal layout")
        if not own.is_dir() and folder.is_dir() and any(folder.iterdir()):
            self.error(folder, 1, f"no templates/{self.slug}/ folder")

    # translations ---------------------------------------------------------------------------
    def check_translations(self) -> None:
        folder = self.package_dir / "translations"
        catalogues = sorted(folder.glob("*/LC_MESSAGES/messages.po")) if folder.is_dir() else []
        if not catalogues:
            return
        from babel.messages.pofile import PoFileError, read_po

        msgids: dict[str, tuple[Path, int]] = self._source_messages()
        for path in catalogues:
            try:
                with path.open("rb") as fh:
                    catalog = read_po(fh, abort_invalid=True)
            except (PoFileError, Exception) as exc:  # noqa: BLE001
                self.error(path, getattr(exc, "lineno", 1) or 1, f"cannot read catalogue: {exc}")
                continue
            lang = path.parent.parent.name
            have = set()
            for message in catalog:
                if not message.id:
                    continue
                key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
                have.add(key)
                strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
                if not all(s for s in strings):
                    self.error(path, message.lineno, f"[{lang}] untranslated: {key!r} (empty msgstr)")
                elif message.fuzzy:
                    self.warn(path, message.lineno, f"[{lang}] fuzzy translation is not used: {key!r}")
            for key, (src, line) in sorted(msgids.items()):
                if key not in have:
                    self.warn(src, line, f"[{lang}] {key!r} is missing from "
                              f"{path.relative_to(self.package_dir)} (run pybabel extract/update)")
        langs = {p.parent.parent.name for p in catalogues}
        if "en" not in langs:
            self.warn(folder, 1, "no English catalogue (translations/en/LC_MESSAGES/messages.po)")

    def _source_messages(self) -> dict[str, tuple[Path, int]]:
        from babel.messages.extract import extract_from_file

        keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
                    "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
        found: dict[str, tuple[Path, int]] = {}
        sources = [(p, "python") for p in self.py_files(include_migrations=False)]
        templates = self.package_dir / "templates"
        if templates.is_dir():
            sources += [(p, "jinja2") for p in sorted(templates.rglob("*.html"))]
        for path, method in sources:
            try:
                for line, message, _comments, _context in extract_from_file(
                        method, str(path), keywords=keywords,
                        options={"extensions": "jinja2.ext.i18n"} if method == "jinja2" else None):
                    key = message[0] if isinstance(message, (tuple, list)) else message
                    if key:
                        found.setdefault(key, (path, line))
            except Exception:  # noqa: BLE001 — syntax errors are reported by other checks
                continue
        return found

    # import the plugin ----------------------------------------------------------------------
    def check_by_import(self, tree: ast.Module) -> None:
        env = dict(os.environ)
        sdk_parent = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.root.resolve()), sdk_parent,
                                                        os.environ.get("PYTHONPATH", "")) if p)
        env.setdefault("MASH_INSTANCE", str(Path(os.environ.get("TMPDIR", "/tmp")) / "mash-sdk-check"))
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # checking must not write into the checked folder
        try:
            proc = subprocess.run([sys.executable, "-m", "mash_sdk._probe", str(self.root.resolve()), self.slug],
                                  capture_output=True, text=True, timeout=120, env=env,
                                  cwd=str(self.root.resolve()))
        except subprocess.TimeoutExpired:
            self.error(self.package_dir / "plugin.py", 1, "importing the plugin took longer than 120 s")
            return
        marker = proc.stdout.rfind("@@MASH-PROBE@@")
        if marker < 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            self.error(self.package_dir / "plugin.py", 1, f"importing the plugin crashed: {tail}")
            return
        report = json.loads(proc.stdout[marker + len("@@MASH-PROBE@@"):])
        plugin_py = self.package_dir / "plugin.py"
        if "probe_error" in report:
            self.error(plugin_py, 1, f"could not inspect the plugin: {report['probe_error']}")
            return
        if report["import_error"]:
            err = report["import_error"]
            self.error(Path(err["path"]) if err["path"] else plugin_py, err["line"],
                       f"importing mash_{self.slug}.plugin fails: {err['message']} (the core would quarantine it)")
            return
        for err in report["module_errors"]:
            self.error(Path(err["path"]) if err["path"] else self.package_dir, err["line"],
                       f"importing {err['module']} fails: {err['message']}")
        manifest = report["manifest"] or {}
        if manifest.get("missing"):
            if not self.static_manifest_problem:
                self.error(plugin_py, 1, f"`manifest` is {manifest.get('type')}, not a mash_core.api.Manifest")
        else:
            for problem in manifest.get("problems", []):
                if problem.startswith(("permission ", "slug ")):
                    continue  # reported statically with its line (pyproject / Permission(...))
                self.error(plugin_py, 1, f"manifest: {problem}")
            if manifest.get("slug") != self.slug and not self.static_slug_checked:
                self.error(plugin_py, 1, f"manifest slug {manifest.get('slug')!r} differs from the entry point "
                           f"name {self.slug!r}")
            if manifest.get("settings"):
                self.warn(plugin_py, _line_of_keyword(tree, "settings"), manifest["settings"])
        before = len(self.findings)
        for impl in report["hookimpls"]:
            path = Path(impl["path"]) if impl["path"] else plugin_py
            if impl["spec_args"] is None:
                self.error(path, impl["line"], f"{impl['name']} is not a hook of mash_core.hookspecs "
                           f"(the core would quarantine the plugin); see docs/reference/hooks.md")
                continue
            extra = [a for a in impl["args"] if a not in impl["spec_args"]]
            if extra:
                self.error(path, impl["line"], f"{impl['name']}({', '.join(impl['args'])}) has argument(s) "
                           f"{', '.join(extra)} not in the spec {impl['name']}({', '.join(impl['spec_args'])})")
            if not impl["marked"]:
                self.warn(path, impl["line"], f"{impl['name']} lacks @hookimpl, so the core never calls it")
        if report["pluggy_error"] and not any(f.severity == ERROR for f in self.findings[before:]):
            self.error(plugin_py, 1, f"pluggy rejects the hook implementations: {report['pluggy_error']}")
        for table in report["tables"]:
            path = Path(table["path"]) if table["path"] else self.package_dir
            if table["name"] not in self.static_tables and not table["name"].startswith(f"{self.slug}_"):
                self.error(path, table["line"], f"table {table['name']!r} must start with the prefix {self.slug}_")
            if not table["scoped"]:
                self.error(path, table["line"], f"table {table['name']!r} ({table['class']}) has no "
                           "municipality_id: derive the model from TenantModel so that rows are "
                           "scoped to the municipality")
            if table["name"] not in self.migration_tables and table["name"] not in self.static_tables:
                self.warn(path, table["line"], f"table {table['name']!r} is not created by any migration")


# -- helpers -----------------------------------------------------------------------------------
def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_core_internal(module: str) -> bool:
    return (module == "mash_core" or module.startswith("mash_core.")) and module != FACADE \
        and not module.startswith(FACADE + ".")


def _module_constants(tree: ast.Module) -> dict[str, tuple[object, int]]:
    values: dict[str, tuple[object, int]] = {}
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = (ast.literal_eval(node.value), node.lineno)
                except (ValueError, SyntaxError, TypeError):
                    values[target.id] = (None, node.lineno)
    return values


def _line_of_keyword(tree: ast.Module, keyword: str) -> int:
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == keyword:
            return node.value.lineno
    return 1


def check(root: Path, probe: bool = True) -> list[Finding]:
    """All findings for the plugin distribution at ``root``."""
    return Checker(Path(root), probe=probe).run()


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
