"""``dailypapers index``: rebuild and inspect the search index."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from dailypapers.cli.common import data_settings, progress_display

index_app = typer.Typer(help="Search index commands.", no_args_is_help=True)
console = Console()


def _progress() -> Progress:
    return progress_display(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console,
    )  # fmt: skip


@index_app.command("rebuild")
def rebuild_cmd(
    no_embed: bool = typer.Option(
        False, "--no-embed", help="Only rebuild from stored vectors; embed nothing new."
    ),
) -> None:
    """Rebuild the keyword and vector index files from the database.

    Papers without a vector under the current embedding contract are embedded first and stored
    in the database chunk by chunk, so an interrupted rebuild resumes where it stopped and a
    later rebuild never embeds the same text again. Then the hashed term counts that "For you"
    ranks with are stored for papers without current ones (the same way, resumable).

    Example: dailypapers index rebuild
    """
    from dailypapers.foryou.terms import store_term_counts
    from dailypapers.search import all_paper_ids, rebuild

    settings = data_settings()
    total = len(all_paper_ids(settings))
    with _progress() as bar:
        embed_task = bar.add_task("embedding", total=0 if no_embed else total)
        index_task = bar.add_task("indexing", total=total)
        result = rebuild(
            settings, embed=not no_embed,
            on_embed=lambda n: bar.advance(embed_task, n),
            on_index=lambda n: bar.advance(index_task, n),
        )  # fmt: skip
        terms_task = bar.add_task("term counts", total=total)
        counted = store_term_counts(settings, progress=lambda n: bar.advance(terms_task, n))
        bar.update(terms_task, completed=total)
    console.print(
        f"indexed {result['keyword_docs']} papers, {result['vectors']} with vectors "
        f"({result['embedded']} newly embedded) in {result['folder']}; "
        f"{counted} papers' term counts stored"
    )


@index_app.command("backfill")
def backfill_cmd(
    limit: int | None = typer.Option(None, min=1, help="Embed at most this many papers."),
) -> None:
    """Embed the papers still without a current vector or part vectors, then sync the index.

    What the worker's periodic index.backfill job does (DAILYPAPERS_INDEX_BACKFILL_CRON), at
    once: papers left by a killed import or ingestion, or imported beside a --vectors file
    that does not cover them. Resumable; embeds nothing that is current.

    Example: dailypapers index backfill --limit 5000
    """
    from dailypapers.search import backfill_vectors, get_index, pending_ids

    settings = data_settings()
    total = len(pending_ids(settings, limit))
    with _progress() as bar:
        task = bar.add_task("embedding", total=total)
        done = backfill_vectors(settings, limit, lambda n: bar.advance(task, n))
    get_index(settings).sync()
    console.print(f"{done} papers embedded")


@index_app.command("status")
def status_cmd() -> None:
    """Show what the index holds: counts, embedding contract and staleness.

    Example: dailypapers index status
    """
    from dailypapers.search import index_status as status
    from dailypapers.search import missing_vectors

    settings = data_settings()
    s = status(settings)
    gaps = missing_vectors(settings)
    console.print(f"papers in database:     {s['papers']}")
    console.print(f"papers with vectors:    {s['vectors']}")
    console.print(f"  missing vectors:      {gaps.vectors}")
    console.print(f"  stale vectors:        {gaps.stale_vectors} (title or abstract changed since)")
    if settings.similar_parts:
        console.print(f"  missing part vectors: {gaps.parts}")
        console.print(f"  stale part vectors:   {gaps.stale_parts}")
    console.print(f"papers in local index:  {s['keyword_docs']}")
    console.print(f"changed since sync:     {s['changed_since_sync']} (last sync {s['last_sync']})")
    console.print(f"embedding contract:     {s['contract']}\n    {s['contract_text']}")
    if s["index_contract"] and s["index_contract"] != s["contract"]:
        console.print("[yellow]the index files were built under another contract "
                      f"({s['index_contract']}): run `dailypapers index rebuild`"
                      "[/yellow]")  # fmt: skip
    elif gaps.total:
        console.print(f"[yellow]{gaps.total} vectors to compute (semantic search and similar "
                      "papers miss those papers): the worker's index.backfill job embeds them, "
                      "or run `dailypapers index rebuild`[/yellow]")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
