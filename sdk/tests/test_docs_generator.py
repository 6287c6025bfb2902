"""`mash-sdk docs`: rendering of docstrings and catalogue, --check and --out."""

from __future__ import annotations

import types

from click.testing import CliRunner

from mash_sdk import docs
from mash_sdk.cli import main


def test_docstring_fields_and_roles():
    md = docs.docstring_markdown('''Do a thing with ``x``.

    :param x: the :class:`~pkg.mod.Thing` to use,
        spread over two lines.
    :param y: see :func:`pkg.helper`.
    :returns: a :class:`dict`.

    Called once. Since plugin API 1.0.
    ''')
    assert "Do a thing with `x`." in md
    assert "- `x` — the `Thing` to use, spread over two lines." in md
    assert "- `y` — see `pkg.helper`." in md
    assert "**Returns:** a `dict`." in md
    assert md.rstrip().endswith("Called once. Since plugin API 1.0.")


def test_hooks_reference_has_exact_signatures():
    text = docs.render_hooks()
    assert "## `mash_slot_items(slot, request)`" in text
    assert "## `mash_register_commands()`" in text
    assert "| `mash_slot_items` |" in text


def test_hooks_reference_from_another_module():
    import pluggy

    spec = pluggy.HookspecMarker("mash")
    module = types.ModuleType("fake_specs", "Fake contract.")

    @spec
    def mash_do(thing, other):
        """Do it.

        :param thing: a thing.
        :param other: another.

        Since plugin API 1.1.
        """

    module.mash_do = mash_do
    text = docs.render_hooks(module)
    assert "## `mash_do(thing, other)`" in text and "| 1.1 |" in text


def test_slots_reference_lists_catalogue_and_fields():
    from mash_core.slots import CATALOGUE

    text = docs.render_slots()
    for name, slot in CATALOGUE.items():
        assert f"## `{name}`" in text
        assert slot.description.split(";")[0] in text
    assert "| `label` | `str` | required |" in text
    assert "| `priority` | `int` | `100` |" in text


def test_cli_writes_and_checks(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["docs", "--check", "--out", str(tmp_path)]).exit_code == 1
    result = runner.invoke(main, ["docs", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "hooks.md").read_text() == docs.render_hooks()
    assert runner.invoke(main, ["docs", "--check", "--out", str(tmp_path)]).exit_code == 0
    (tmp_path / "slots.md").write_text("stale\n")
    stale = runner.invoke(main, ["docs", "--check", "--out", str(tmp_path)])
    assert stale.exit_code == 1 and "slots.md" in stale.output


def test_default_out_is_repository_docs():
    import mash_core
    from pathlib import Path

    assert docs.default_out() == Path(mash_core.__file__).resolve().parent.parent / "docs" / "reference"
