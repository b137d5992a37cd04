"""``dailypapers serve``: run the web server (pages and JSON API)."""

from __future__ import annotations

import os

import typer
from rich.console import Console

from dailypapers.cli.common import data_settings
from dailypapers.config import get_settings

console = Console(stderr=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes; use PostgreSQL for more than 1."),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="Reverse proxies trusted for X-Forwarded-For/-Proto (comma-separated addresses "
        "or networks, `*` for any); overrides DAILYPAPERS_FORWARDED_ALLOW_IPS. Default: none.",
    ),
) -> None:
    """Serve the site and the API, upgrading a fresh database first.

    Prints one line when it starts listening; requests are not logged unless
    DAILYPAPERS_LOG_FORMAT=json (one JSON line per request, with its request id).

    Example: dailypapers serve --host 0.0.0.0 --port 8000 --workers 4
    """
    import uvicorn

    if forwarded_allow_ips is not None:  # the environment reaches every worker process
        os.environ["DAILYPAPERS_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
        get_settings.cache_clear()
    settings = data_settings()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a display name)
    console.print(
        f"serving http://{shown}:{port} ({workers} worker{'s' if workers > 1 else ''}; "
        f"links use {settings.base_url}); Ctrl-C stops",
        highlight=False,
    )
    uvicorn.run(
        "dailypapers.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # the app trusts forwarded headers itself (FORWARDED_ALLOW_IPS)
        log_level="warning",
        access_log=False,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
