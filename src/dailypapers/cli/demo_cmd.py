"""``dailypapers demo``: a data folder filled with the bundled sample corpus, then served."""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from dailypapers.cli.common import announce, interactive, overridden_data_dir
from dailypapers.config import Settings, get_settings
from dailypapers.store import db

console = Console(stderr=True)
DEFAULT_DIR = Path("./demo-data")


def demo(
    data_dir: Path | None = typer.Option(
        None,
        help="Folder for the demo's database (default: ./demo-data, or the global --data-dir).",
    ),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port; links in pages, feeds and mails use it too."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Only fill the folder, do not serve."),
) -> None:
    """Fill a data folder with ~2,700 sample papers (once) and serve them.

    The sample holds the four Daily Papers sample pages and two weeks of arXiv listings with
    precomputed vectors, so semantic search works at once. The listing dates are moved so that
    the newest day is the day the folder is filled; a few accounts named demo-… (password
    demo-password; demo-ada is an administrator) upvote and comment, marked as demo data,
    and demo-ada has a small library (saved papers, a collection, a note, follows). Unless
    DAILYPAPERS_SMTP_HOST is set, mails are written to DATA_DIR/outbox instead of sent, and
    the server's output shows their links (so signing up works without a mail server).

    Example: dailypapers demo --port 8100
    """
    folder = data_dir or overridden_data_dir() or DEFAULT_DIR
    # The demo is self-contained: its own SQLite file in its own folder, also for the server.
    os.environ["DAILYPAPERS_DATA_DIR"] = str(folder.resolve())
    os.environ["DAILYPAPERS_DATABASE_URL"] = ""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a display name)
    os.environ["DAILYPAPERS_BASE_URL"] = f"http://{shown}:{port}"
    # No mail server in a demo: mails (a sign-up's confirmation) become files, and the
    # server's output shows their links; a configured SMTP server is used as it is.
    mails = "sign-up mails reach their addresses"
    if not os.environ.get("DAILYPAPERS_SMTP_HOST"):
        os.environ.setdefault("DAILYPAPERS_MAIL_OUTBOX_DIR", str(folder.resolve() / "outbox"))
        mails = "the confirmation link shows in the demo's terminal"
    from dailypapers.community.demo import DEMO_PASSWORD, DEMO_USERS

    os.environ.setdefault(
        "DAILYPAPERS_LOGIN_NOTICE",
        f"This is a demo: log in as {DEMO_USERS[0]} (password {DEMO_PASSWORD}) to see a library "
        f"and For you, or sign up ({mails}).",
    )
    get_settings.cache_clear()
    settings = get_settings()
    announce(settings)
    db.ensure_schema(settings)
    _fill(settings)
    if no_serve:
        return
    import uvicorn

    if settings.mail_outbox_dir is not None:
        console.print(f"mails are not sent but written to {settings.mail_outbox_dir}; their "
                      "links (e.g. to confirm a sign-up) show below", highlight=False)  # fmt: skip
    console.print(f"serving the demo on [bold]http://{shown}:{port}[/bold] (Ctrl-C stops)")
    uvicorn.run("dailypapers.web.asgi:app", host=host, port=port, log_level="warning")


def _fill(settings: Settings) -> None:
    from dailypapers.community.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo_activity
    from dailypapers.community.users import find_user
    from dailypapers.digest.demo import seed_demo_subscriber
    from dailypapers.ingest.sample import demo_newest_day, is_loaded, load_sample, redate_sample
    from dailypapers.library.demo import seed_demo_library

    if is_loaded(settings):
        before = demo_newest_day(settings)
        moved = redate_sample(settings)
        console.print(f"demo data already in {settings.data_dir}", highlight=False)
        if moved:
            console.print(f"moved {moved} demo papers forward from {before}: the newest day "
                          "is today", highlight=False)  # fmt: skip
        return
    status = console.status("importing the sample corpus and its vectors…")
    with status if interactive() else nullcontext():
        report = load_sample(settings)
    if report is None:
        return
    console.print(f"demo data in {settings.data_dir}: {report.summary()}")
    for warning in report.warnings:
        console.print(f"note: {escape(warning)}", highlight=False)
    with db.session_scope(settings) as session:
        activity = seed_demo_activity(session, settings)
        first = find_user(session, DEMO_USERS[0])
        library = seed_demo_library(session, first.id) if first is not None else None
        subscriber = seed_demo_subscriber(session, first.id if first is not None else None)
    if activity.users:
        console.print(
            f"demo community: {activity.users} accounts ({', '.join(DEMO_USERS)}; password "
            f"{DEMO_PASSWORD}), {activity.upvotes} upvotes, {activity.comments} comments",
            highlight=False,
        )
    if library is not None and library.saved:
        console.print(f"{DEMO_USERS[0]}'s library: {library.saved} saved papers, a collection, "
                      f"a note and {library.follows} follows (see /library and /for-you)",
                      highlight=False)  # fmt: skip
    if subscriber:
        command = f"dailypapers --data-dir {settings.data_dir} digest send --dry-run"
        console.print(f"demo digest subscriber {subscriber}: see its mail with `{command}`",
                      highlight=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
