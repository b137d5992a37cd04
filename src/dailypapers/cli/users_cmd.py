"""``dailypapers users`` (accounts and API tokens) and ``dailypapers trending refresh``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from dailypapers.cli.common import data_settings
from dailypapers.store import db
from dailypapers.store.queries import stats as queries

users_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
trending_app = typer.Typer(help="The trending score.", no_args_is_help=True)
console = Console()


def _error(message: str) -> Exception:
    from dailypapers.cli.errors import CliError

    return CliError(message)


@users_app.command("create")
def create(
    name: str = typer.Argument(..., help="User name (3-40 letters, digits, . _ -)."),
    email: str = typer.Option(..., "--email", help="Email address (log-in and password reset)."),
    password: str = typer.Option(
        ..., "--password", prompt=True, hide_input=True, help="At least 8 characters."
    ),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
) -> None:
    """Create an account.

    Example: dailypapers users create alice --email a@example.org --password 'pass phrase' --admin
    """
    from dailypapers.community.errors import CommunityError
    from dailypapers.community.users import create_user

    settings = data_settings()
    with db.session_scope(settings) as session:
        try:
            user = create_user(session, name, email, password, is_admin=admin)
        except CommunityError as exc:
            raise _error(exc.message) from None
        console.print(f"created {'admin ' if admin else ''}user {user.username} (id {user.id})")


@users_app.command("token")
def token(
    name: str = typer.Argument(..., help="User name or email address."),
    label: str = typer.Option("cli", "--label", help="A name to recognise the token by."),
) -> None:
    """Create an API token for a user; the token is printed on the last line, once.

    Example: TOKEN=$(dailypapers users token alice | tail -n1)
    """
    from dailypapers.community.auth import create_api_token
    from dailypapers.community.users import find_user

    settings = data_settings()
    with db.session_scope(settings) as session:
        user = find_user(session, name)
        if user is None:
            raise _error(f"no user {name!r}; create one with `dailypapers users create`")
        secret = create_api_token(session, user.id, label)
    console.print(f"new API token for {user.username} (send it as 'Authorization: Bearer …'):")
    print(secret)


@users_app.command("admin")
def admin(
    name: str = typer.Argument(..., help="User name or email address."),
    revoke: bool = typer.Option(False, "--revoke", help="Take the administrator role away."),
) -> None:
    """Make a user an administrator (moderation, claims), or no longer one with --revoke.

    Example: dailypapers users admin alice
    """
    from dailypapers.community.users import find_user

    settings = data_settings()
    with db.session_scope(settings) as session:
        user = find_user(session, name)
        if user is None:
            raise _error(f"no user {name!r}; see `dailypapers users list`")
        user.is_admin = not revoke
        console.print(f"{user.username} is {'no longer ' if revoke else ''}an administrator")


@users_app.command("list")
def list_users() -> None:
    """List the accounts.

    Example: dailypapers users list
    """
    settings = data_settings()
    table = Table("id", "name", "email", "admin", "created")
    with db.session_scope(settings) as session:
        for user in queries.list_users(session):
            table.add_row(
                str(user.id), user.username, user.email, "yes" if user.is_admin else "",
                user.created_at.strftime("%Y-%m-%d"),
            )  # fmt: skip
    console.print(table)


@trending_app.command("refresh")
def refresh() -> None:
    """Recompute every paper's trending score (after imports; votes keep it current otherwise).

    Example: dailypapers trending refresh
    """
    from dailypapers.store.trending import refresh_scores

    settings = data_settings()
    with db.session_scope(settings) as session:
        count = refresh_scores(session, settings)
    console.print(f"trending scores updated for {count} papers")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(trending_app, name="trending")
