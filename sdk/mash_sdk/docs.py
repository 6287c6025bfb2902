"""Generate the hook and slot reference (``docs/reference/*.md``) from the core's code.

The hook reference comes from :mod:`mash_core.hookspecs` (module docstring, then one section per
hook in source order with its exact signature and full docstring), the slot reference from
:data:`mash_core.slots.CATALOGUE` and the item dataclasses. The output is deterministic, so that
the core's docs test can compare the committed files with a fresh generation.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable, Optional

HOOKS_FILE = "hooks.md"
SLOTS_FILE = "slots.md"

_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")
_FIELD = re.compile(r"^:(param|parameter|arg|type|returns?|rtype|raises?|yields?)\s*([^:]*):\s*(.*)$")
_SINCE = re.compile(r"Since plugin API (\d+\.\d+)")


# -- reST → Markdown ---------------------------------------------------------------------------
def _role(match: re.Match) -> str:
    target = match.group(1).strip()
    explicit = re.match(r"^(.*?)\s*<([^>]+)>$", target)
    if explicit:  # :class:`text <target>`
        return f"`{explicit.group(1)}`"
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


def inline(text: str) -> str:
    """Inline reST (``literal``, :role:`target`) as Markdown code spans."""
    text = _LITERAL.sub(lambda m: f"`{m.group(1)}`", text)
    return _ROLE.sub(_role, text)


def _blocks(lines: list[str]) -> Iterable[list[str]]:
    block: list[str] = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _is_definitions(block: list[str]) -> bool:
    """A term line followed by indented definition lines, one or more times."""
    if len(block) < 2 or block[0].startswith(" "):
        return False
    return all(block[i + 1].startswith(" ") for i, line in enumerate(block[:-1]) if not line.startswith(" ")) \
        and block[-1].startswith(" ")


def _join(lines: Iterable[str]) -> str:
    return " ".join(part.strip() for part in lines if part.strip())


def docstring_markdown(doc: Optional[str]) -> str:
    """Render a Sphinx-style docstring as Markdown.

    Field lists (``:param x:``, ``:returns:``, ``:raises E:``) become a parameter list and
    bold "Returns"/"Raises" paragraphs; a term followed by indented lines becomes a bullet; other
    paragraphs are re-flowed onto one line each.
    """
    if not doc:
        return ""
    lines = inspect.cleandoc(doc).splitlines()
    out: list[str] = []
    for block in _blocks(lines):
        if _FIELD.match(block[0].strip()):
            out.extend(_field_block(block))
        elif _is_definitions(block):
            term: list[list[str]] = []
            for line in block:
                if not line.startswith(" "):
                    term.append([line])
                else:
                    term[-1].append(line)
            out.extend(f"- {inline(t[0].strip())} — {inline(_join(t[1:]))}" for t in term)
            out.append("")
        else:
            out.append(inline(_join(block)))
            out.append("")
    return "\n".join(out).strip() + "\n"


def _field_block(block: list[str]) -> list[str]:
    fields: list[tuple[str, str, list[str]]] = []
    for line in block:
        match = _FIELD.match(line.strip()) if not line.startswith(" ") else None
        if match:
            fields.append((match.group(1), match.group(2).strip(), [match.group(3)]))
        elif fields:
            fields[-1][2].append(line)
    out: list[str] = []
    params = [(name, _join(text)) for kind, name, text in fields if kind in ("param", "parameter", "arg")]
    if params:
        out.append("**Parameters**")
        out.append("")
        out.extend(f"- `{name}` — {inline(text)}" for name, text in params)
        out.append("")
    for kind, name, text in fields:
        body = inline(_join(text))
        if kind in ("returns", "return"):
            out += [f"**Returns:** {body}", ""]
        elif kind in ("yields", "yield"):
            out += [f"**Yields:** {body}", ""]
        elif kind in ("raises", "raise"):
            out += [f"**Raises** `{name}`: {body}", ""]
        elif kind in ("rtype",):
            out += [f"**Return type:** {body}", ""]
    return out


# -- hooks -------------------------------------------------------------------------------------
def hookspec_functions(module: Optional[ModuleType] = None) -> list[Callable]:
    """The hook specifications of ``module`` (default :mod:`mash_core.hookspecs`), in source order."""
    if module is None:
        from mash_core import hookspecs as module
    specs = [obj for name, obj in vars(module).items()
             if name.startswith("mash_") and inspect.isfunction(obj) and hasattr(obj, "mash_spec")]
    return sorted(specs, key=lambda f: f.__code__.co_firstlineno)


def signature(func: Callable) -> str:
    """``name(arg, ...)`` exactly as a hookimpl may declare it."""
    params = ", ".join(inspect.signature(func).parameters)
    return f"{func.__name__}({params})"


def since(func: Callable) -> str:
    match = _SINCE.search(func.__doc__ or "")
    return match.group(1) if match else "?"


def render_hooks(module: Optional[ModuleType] = None) -> str:
    if module is None:
        from mash_core import hookspecs as module
    from mash_core import PLUGIN_API_VERSION

    specs = hookspec_functions(module)
    out = [
        "<!-- Generated by `mash-sdk docs` from mash_core/hookspecs.py; do not edit by hand. -->",
        "",
        "# Hook reference",
        "",
        f"Plugin API version **{PLUGIN_API_VERSION}**. Every hook below is specified in "
        "`mash_core/hookspecs.py`; implement it in your plugin's `plugin.py` with "
        "`@hookimpl` from `mash_core.api`. `mash-sdk check` verifies names and parameters.",
        "",
        docstring_markdown(module.__doc__).rstrip(),
        "",
        "| Hook | Summary | Since |",
        "|---|---|---|",
    ]
    for spec in specs:
        summary = inline(inspect.cleandoc(spec.__doc__ or "").split("\n\n")[0].replace("\n", " "))
        summary = summary.replace("|", "\\|")
        out.append(f"| `{spec.__name__}` | {summary} | {since(spec)} |")
    out.append("")
    for spec in specs:
        opts = getattr(spec, "mash_spec", {}) or {}
        out += [f"## `{signature(spec)}`", ""]
        flags = [name for name in ("firstresult", "historic") if opts.get(name)]
        if flags:
            out += ["*" + ", ".join(flags) + "*", ""]
        out.append(docstring_markdown(spec.__doc__).rstrip() or "*Undocumented.*")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# -- slots -------------------------------------------------------------------------------------
def _field_type(f: dataclasses.Field) -> str:
    return f.type if isinstance(f.type, str) else getattr(f.type, "__name__", repr(f.type))


def _field_default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return f"`{f.default!r}`"
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f"`{f.default_factory()!r}`"  # type: ignore[misc]
    return "required"


def _fields_table(cls: type) -> list[str]:
    rows = ["| Field | Type | Default |", "|---|---|---|"]
    for f in dataclasses.fields(cls):
        rows.append(f"| `{f.name}` | `{_field_type(f)}` | {_field_default(f)} |")
    return rows


def render_slots(catalogue: Optional[dict] = None) -> str:
    from mash_core import slots as slots_module

    catalogue = slots_module.CATALOGUE if catalogue is None else catalogue
    types: list[type] = []
    for slot in catalogue.values():
        if slot.item_type not in types:
            types.append(slot.item_type)
    out = [
        "<!-- Generated by `mash-sdk docs` from mash_core/slots.py; do not edit by hand. -->",
        "",
        "# UI slot reference",
        "",
        docstring_markdown(slots_module.__doc__).rstrip(),
        "",
        "A plugin fills a slot by implementing the hook `mash_slot_items(slot, request)` "
        "(see [hooks.md](hooks.md)) and returning a list of items of the slot's item type for the "
        "slot names it serves, `None` for all others. Every item has a `priority` (lower first) "
        "and an optional `permission` (`<slug>.<action>`): users without it do not see the item.",
        "",
        "| Slot | Item type | Rendered on |",
        "|---|---|---|",
    ]
    for slot in catalogue.values():
        out.append(f"| `{slot.name}` | [`{slot.item_type.__name__}`](#{slot.item_type.__name__.lower()}) "
                   f"| {inline(slot.context)} |")
    out.append("")
    for slot in catalogue.values():
        fields = ", ".join(f"`{f.name}`" for f in dataclasses.fields(slot.item_type))
        out += [
            f"## `{slot.name}`",
            "",
            inline(slot.description).strip() or "*Undocumented.*",
            "",
            f"- **Item type:** [`{slot.item_type.__name__}`](#{slot.item_type.__name__.lower()}) "
            f"(`mash_core.api.{slot.item_type.__name__}`) with fields {fields}",
            f"- **Rendered on:** {inline(slot.context)}",
            "",
        ]
    out += ["## Item types", ""]
    for cls in types:
        out += [f"### {cls.__name__}", ""]
        doc = docstring_markdown(cls.__doc__ if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "(") else "")
        if doc.strip():
            out += [doc.rstrip(), ""]
        out += _fields_table(cls) + [""]
    return "\n".join(out).rstrip() + "\n"


# -- files -------------------------------------------------------------------------------------
def generate() -> dict[str, str]:
    """File name → content of every generated reference file."""
    return {HOOKS_FILE: render_hooks(), SLOTS_FILE: render_slots()}


def default_out() -> Path:
    """``docs/reference`` of the repository holding the ``mash_core`` package.

    Found next to the package (an editable or source checkout); otherwise ``./docs/reference``.
    """
    import mash_core

    root = Path(mash_core.__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "mash_core").is_dir():
        return root / "docs" / "reference"
    return Path.cwd() / "docs" / "reference"


def write(out: Optional[Path] = None) -> list[Path]:
    """Write the reference files; returns the paths whose content changed."""
    out = Path(out) if out else default_out()
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in generate().items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale(out: Optional[Path] = None) -> list[Path]:
    """The reference files that are missing or differ from a fresh generation."""
    out = Path(out) if out else default_out()
    return [out / name for name, text in generate().items()
            if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text]
