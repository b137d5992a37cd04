"""``dailypapers eval``: measure ranking quality on labelled collections."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from dailypapers.config import get_settings

eval_app = typer.Typer(help="Measure search quality on labelled collections.", no_args_is_help=True)
err_console = Console(stderr=True)


def _split_help() -> str:
    return "Queries to score: all, dev (fold1_dev) or test (fold1_test) of evaluation_splits.json."


@eval_app.command("csfcube")
def csfcube_cmd(
    folder: Path = typer.Argument(..., help="A CSFCube-format directory."),
    method: str = typer.Option(
        "full",
        "--method",
        "-m",
        help="keyword (BM25), semantic (abstract cosine), hybrid (their rank fusion) or full "
        "(the similar-papers ranking).",
    ),
    split: str = typer.Option("all", "--split", help=_split_help()),
    ignore_facet: bool = typer.Option(
        False, "--ignore-facet", help="Rank by the whole paper, not the query's facet (full)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Embedding cache (default ~/.cache/dailypapers/embeddings)."
    ),
) -> None:
    """Rank each query's candidate pool and print NDCG%20 and MAP per facet and overall.

    Embeddings are cached on disk, so only the first run embeds (a quarter of an hour for
    CSFCube's 4,205 papers on two cores).

    Example: dailypapers eval csfcube ../shared/eval/csfcube --method full --split test
    """
    from dailypapers.cli.errors import CliError
    from dailypapers.search.evaluation import evaluate as ev
    from dailypapers.search.evaluation.csfcube import load_csfcube
    from dailypapers.search.evaluation.embed_cache import EmbeddingCache, default_cache_dir

    if method not in ev.METHODS:
        raise CliError(f"--method must be one of {', '.join(ev.METHODS)}")
    if not folder.is_dir():
        raise CliError(f"{folder} is not a directory")
    try:
        cube = load_csfcube(folder)
        queries = cube.select(split)
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    if not queries:
        raise CliError(f"no queries in split {split!r}")
    vectors = None
    if method != "keyword":
        model = get_settings().embedding_model
        cache = EmbeddingCache(cache_dir or default_cache_dir(), model)
        vectors = _vectors(cube, cache, model)
    result = ev.evaluate(cube, queries, vectors, method, ignore_facet)
    facet_note = ", facet ignored" if ignore_facet and method == "full" else ""
    typer.echo(f"method {method}{facet_note}; split {split}; {len(queries)} queries")
    for line in ev.report_lines(result):
        typer.echo(line)


def _vectors(cube, cache, model: str):  # type: ignore[no-untyped-def]
    from dailypapers.search.evaluation import evaluate as ev

    def embed(texts: list[str]):  # type: ignore[no-untyped-def]
        from dailypapers.search import get_embedder

        return get_embedder(model).embed(texts, batch_size=64)

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("embedding", total=None)

        def progress(_label: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return ev.prepare_vectors(cube, ev.cached_encoder(cache, embed, progress))


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
