"""``dailypapers model``: files derived from the embedding model."""

from __future__ import annotations

import typer

from dailypapers.cli.errors import CliError
from dailypapers.config import get_settings

model_app = typer.Typer(help="The embedding model.", no_args_is_help=True)


@model_app.command("export")
def export_cmd() -> None:
    """Export the embedding model to ONNX for query embedding without torch.

    Web workers do it at their first query otherwise (in a subprocess, a few seconds, once
    per MODEL_CACHE_DIR); run it after an install or a model change to have it ready. The
    export is checked against sentence-transformers (cosine >= 0.9999) before it is kept.

    Example: dailypapers model export
    """
    from dailypapers.search import ModelUnsupported, export_query_model

    settings = get_settings()
    try:
        meta = export_query_model(settings)
    except ModelUnsupported as exc:
        raise CliError(
            f"{exc}; queries will be embedded with sentence-transformers "
            "(DAILYPAPERS_QUERY_EMBEDDING=sentence-transformers silences this)"
        ) from None
    state = "already exported" if meta["already_there"] else "exported"
    typer.echo(f"{state}: {meta['path']} ({meta['bytes'] / 1e6:.0f} MB)")
    if "min_cosine" in meta:
        typer.echo(f"checked against sentence-transformers: min cosine {meta['min_cosine']:.6f}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
