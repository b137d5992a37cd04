"""``dailypapers library`` (import, export, fetch-pending) and ``dailypapers users delete``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from dailypapers.cli import users_cmd
from dailypapers.cli.errors import CliError
from dailypapers.community.users import find_user
from dailypapers.config import get_settings
from dailypapers.library import account, exports, importer, pending, tasks
from dailypapers.library.formats.export import EXPORT_FORMATS
from dailypapers.store import db
from dailypapers.store.models import User

library_app = typer.Typer(help="Personal libraries: import and export.", no_args_is_help=True)
console = Console(stderr=True)


def _user(session: object, name: str) -> User:
    user = find_user(session, name)  # type: ignore[arg-type]
    if user is None:
        raise CliError(f"no user {name!r}; see `dailypapers users list`")
    return user


@library_app.command("import")
def import_file(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="A .bib, .ris, .json (CSL JSON) or .txt file of arXiv ids / URLs / DOIs.",
    ),
    user: str = typer.Option(..., "--user", help="User name or email address."),
    collection: str | None = typer.Option(
        None,
        "--collection",
        help="Collection to put the papers in (created if missing); default Reading list.",
    ),
    fetch: bool = typer.Option(
        False,
        "--fetch",
        help="Fetch unknown arXiv ids from arXiv now instead of queueing them for the worker.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be imported."),
) -> None:
    """Import a reference file into a user's library (re-importing adds nothing).

    Example: dailypapers library import --user alice ~/zotero.bib --collection Thesis
    """
    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        owner = _user(session, user)
        report = importer.import_references(
            session,
            settings,
            owner.id,
            file.read_bytes(),
            file.name,
            collection=collection,
            apply=not dry_run,
        )
        uid = owner.id
    for problem in report.problems:
        console.print(f"[yellow]skipped[/yellow] {file.name}:{problem}")
    for outcome in report.of("unmatched"):
        console.print(f"unmatched {file.name}:{outcome.entry.line}: {outcome.entry.label}")
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
    print(f"{'would import' if dry_run else 'imported'}: {counts}")
    if report.of("pending") and not dry_run:
        _fetch_or_queue(uid, fetch)


def _fetch_or_queue(user_id: int, fetch: bool) -> None:
    if not fetch:
        queued = tasks.queue_fetch(user_id)
        print(
            "pending arXiv ids "
            + (
                "queued for `dailypapers worker`"
                if queued
                else "stay pending: run `dailypapers library fetch-pending`"
            )
        )
        return
    settings = get_settings()
    with db.session_scope(settings) as session:
        result = pending.fetch_pending(session, settings, user_id)
    print(
        f"fetched from arXiv: {result.saved} saved, {result.unknown} unknown to arXiv, "
        f"{result.failed} not reached" + (f" ({result.error})" if result.error else "")
    )


@library_app.command("fetch-pending")
def fetch_pending_cmd(
    user: str | None = typer.Option(None, "--user", help="Only this user's pending imports."),
) -> None:
    """Fetch imported arXiv ids that were not in the database yet, and save them.

    Example: dailypapers library fetch-pending --user alice
    """
    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        uid = _user(session, user).id if user else None
        result = pending.fetch_pending(session, settings, uid)
    print(
        f"{result.saved} saved, {result.unknown} unknown to arXiv, {result.failed} not reached"
        + (f" ({result.error})" if result.error else "")
    )


@library_app.command("export")
def export_cmd(
    user: str = typer.Option(..., "--user", help="User name or email address."),
    fmt: str = typer.Option("bibtex", "--format", help="bibtex, ris or csl-json."),
    collection: str | None = typer.Option(None, "--collection", help="Only this collection."),
    output: Path | None = typer.Option(None, "--output", help="Write here (default: stdout)."),
) -> None:
    """Export a user's library (tags and notes included) as BibTeX, RIS or CSL JSON.

    Example: dailypapers library export --user alice --format bibtex --output alice.bib
    """
    if fmt not in EXPORT_FORMATS:
        raise CliError(f"--format is one of {', '.join(EXPORT_FORMATS)}")
    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        text = exports.export_library(session, _user(session, user).id, fmt, collection=collection)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


def delete_user(
    name: str = typer.Argument(..., help="User name or email address."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete an account and everything it owns; its votes and comments stop counting.

    Example: dailypapers users delete mallory --yes
    """
    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        user = _user(session, name)
        if not yes and not typer.confirm(
            f"Delete {user.username} ({user.email}) and all their data? This cannot be undone"
        ):
            raise typer.Exit(1)
        counts = account.delete_account(session, settings, user.id)
        username = user.username
    print(
        f"deleted {username}: {counts.get('votes', 0)} votes and "
        f"{counts.get('comments', 0)} comments withdrawn"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(library_app, name="library")
    users_cmd.users_app.command("delete")(delete_user)
