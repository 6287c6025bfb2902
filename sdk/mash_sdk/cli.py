"""The ``mash-sdk`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mash-sdk")
def main() -> None:
    """Tools for MAsH plugin authors: reference docs, plugin checker, scaffold."""


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="output folder (default: docs/reference of the repository holding mash_core)")
@click.option("--check", "check_only", is_flag=True,
              help="write nothing; exit 1 when a file is missing or differs from a fresh generation")
def docs(out: Path | None, check_only: bool) -> None:
    """Generate docs/reference/hooks.md and slots.md from the core's code."""
    from . import docs as gen

    out = out or gen.default_out()
    if check_only:
        stale = gen.stale(out)
        for path in stale:
            click.echo(f"out of date: {path} (run `mash-sdk docs`)", err=True)
        if stale:
            sys.exit(1)
        click.echo(f"reference docs in {out} are up to date")
        return
    changed = gen.write(out)
    for path in changed:
        click.echo(f"wrote {path}")
    if not changed:
        click.echo(f"reference docs in {out} are up to date")


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="treat warnings as errors")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-import", is_flag=True,
              help="only read files; do not import the plugin in a child process")
def check(path: Path, strict: bool, fmt: str, no_import: bool) -> None:
    """Validate the plugin distribution in PATH before it is installed anywhere.

    One line per finding, `ERROR|WARNING <file>:<line>: <message>`; exit status 1 when there is
    an error (or, with --strict, a warning).
    """
    from .check import ERROR, check as run_check

    findings = run_check(path, probe=not no_import)
    if fmt == "json":
        click.echo(json.dumps([{"severity": f.severity, "path": str(f.path), "line": max(f.line, 1),
                                "message": f.message} for f in findings], indent=2))
    else:
        for finding in findings:
            click.echo(finding.format())
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    click.echo(f"{path}: {errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@main.command()
@click.argument("slug")
@click.option("--dir", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where to create the distribution (default: ./<slug>)")
@click.option("--title", default=None, help="human title of the plugin")
@click.option("--force", is_flag=True, help="write into an existing, non-empty folder")
def new(slug: str, target: Path | None, title: str | None, force: bool) -> None:
    """Create a ready plugin distribution mash-SLUG (install it with `pip install -e`)."""
    from .scaffold import ScaffoldError, create

    try:
        created = create(slug, target or Path(slug), title=title, force=force)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {created}")
    click.echo(f"next: pip install -e {created} && mash-sdk check {created} && pytest {created}/tests")


if __name__ == "__main__":
    main()
