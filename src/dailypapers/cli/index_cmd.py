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
    later rebuild never embeds the same text again.

    Example: dailypapers index rebuild
    """
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
    console.print(
        f"indexed {result['keyword_docs']} papers, {result['vectors']} with vectors "
        f"({result['embedded']} newly embedded) in {result['folder']}"
    )


@index_app.command("status")
def status_cmd() -> None:
    """Show what the index holds: counts, embedding contract and staleness.

    Example: dailypapers index status
    """
    from dailypapers.search import index_status as status

    settings = data_settings()
    s = status(settings)
    console.print(f"papers in database:     {s['papers']}")
    console.print(f"papers with vectors:    {s['vectors']} (missing: {s['papers'] - s['vectors']})")
    console.print(f"papers in local index:  {s['keyword_docs']}")
    console.print(f"changed since sync:     {s['changed_since_sync']} (last sync {s['last_sync']})")
    console.print(f"embedding contract:     {s['contract']}\n    {s['contract_text']}")
    if s["index_contract"] and s["index_contract"] != s["contract"]:
        console.print("[yellow]the index files were built under another contract "
                      f"({s['index_contract']}): run `dailypapers index rebuild`"
                      "[/yellow]")  # fmt: skip
    elif s["vectors"] < s["papers"]:
        console.print("[yellow]some papers have no vector yet (semantic search skips them): "
                      "run `dailypapers index rebuild`[/yellow]")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
