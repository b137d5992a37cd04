"""``dailypapers similar``: show similar papers, and store the vectors that rank them."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dailypapers.config import get_settings
from dailypapers.store import db
from dailypapers.store.queries.stats import all_paper_ids, paper_titles

similar_app = typer.Typer(help="Similar papers.", no_args_is_help=True)
console = Console()


@similar_app.command("show")
def show_cmd(
    paper_id: str = typer.Argument(..., help="An arXiv id or paper id."),
    by: str | None = typer.Option(
        None, "--by", help="Similar by one facet: background, method or result."
    ),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=50, help="How many papers."),
) -> None:
    """Print the papers most similar to one paper, as the paper page shows them.

    Example: dailypapers similar show 2401.12345 --by method
    """
    from dailypapers.cli.errors import CliError
    from dailypapers.search import related
    from dailypapers.store.models import Paper

    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        if session.get(Paper, paper_id) is None:
            raise CliError(f"no paper with id {paper_id!r}; `dailypapers stats` shows what is here")
        try:
            pairs = related(settings, session, paper_id, limit, by)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        ids = [pid for pid, _ in pairs]
        titles = paper_titles(session, ids)
    table = Table(title=f"similar to {paper_id}" + (f" by {by}" if by else ""))
    for column in ("#", "id", "score", "title"):
        table.add_column(column)
    for rank, (pid, score) in enumerate(pairs, 1):
        table.add_row(str(rank), pid, f"{score:.2f}", titles.get(pid, ""))
    console.print(table)


@similar_app.command("build")
def build_cmd() -> None:
    """Store title and sentence vectors for every paper that lacks them (resumable).

    New papers get them when they are embedded; run this once after importing papers
    with precomputed vectors, so that their similar papers are facet-aware too. Costs about
    twice the whole-abstract embedding of the same papers.

    Example: dailypapers similar build
    """
    from dailypapers.search import index_parts

    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        ids = all_paper_ids(session)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("part vectors", total=len(ids))
        done = index_parts(settings, ids, progress=lambda n: bar.advance(task, n))
    console.print(f"stored part vectors of {done} papers ({len(ids) - done} were up to date)")


def register(app: typer.Typer) -> None:
    app.add_typer(similar_app, name="similar")
