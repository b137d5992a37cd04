"""``dailypapers eval``: measure ranking quality on labelled collections."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

from dailypapers.cli.common import progress_display
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

    with progress_display(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("embedding", total=None)

        def progress(_label: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return ev.prepare_vectors(cube, ev.cached_encoder(cache, embed, progress))


DEFAULT_CORPUS = Path("../shared/corpus/arxiv-cs-74k.jsonl.gz")


@eval_app.command("foryou")
def foryou_cmd(
    corpus: Path = typer.Option(
        DEFAULT_CORPUS, "--corpus", help="arXiv JSON lines (.jsonl or .jsonl.gz) of the corpus."
    ),
    vectors: Path | None = typer.Option(
        None, "--vectors", help="Its float16 vectors (default: NAME.minilm.f16.npy beside it)."
    ),
    users: int = typer.Option(300, "--users", min=1, help="Simulated researchers to draw."),
    seed: int = typer.Option(1, "--seed", help="Seed of the draw and of the bootstrap."),
    method: str = typer.Option(
        "hybrid",
        "--method",
        "-m",
        help="The ranker to report: hybrid (the default ranker), dense, lexical or centroid.",
    ),
    compare: list[str] = typer.Option(
        [],
        "--compare",
        help="Other ranker methods to add to the table (repeatable); "
        "hybrid+read adds simulated read-and-not-saved papers as weak negatives.",
    ),
    split: str = typer.Option("all", "--split", help="Users of all, dev or test (name hash)."),
    protocol: str = typer.Option(
        "authors",
        "--protocol",
        help="authors: researchers' own later papers; topics: a few saved papers on a subject "
        "(a narrow arXiv category), later papers of it held out.",
    ),
) -> None:
    """Rank simulated users' held-out papers among their feed day; print the table.

    authors (the default): authors with 8 to 40 papers; papers before a per-author cutoff
    form the library, each later paper is ranked among the ~200 papers of its day. topics: 5
    saved papers of a narrow category; up to 10 of its papers of the next 30 days are ranked
    among their day's papers outside it. Content only. Baselines (centroid, tf-idf + linear
    SVM, random) run in the same pass. The last line is the reported method's overall means.

    Example: dailypapers eval foryou --users 300 --seed 1 --protocol topics
    """
    from dailypapers.cli.errors import CliError
    from dailypapers.foryou import METHODS, RankerConfig
    from dailypapers.foryou.evaluation import PROTOCOLS, load_corpus, report_lines, run_protocol

    if method not in METHODS or any(m not in (*METHODS, "hybrid+read") for m in compare):
        raise CliError(f"--method and --compare take one of {', '.join(METHODS)} "
                       "(--compare also hybrid+read)")  # fmt: skip
    if split not in ("all", "dev", "test"):
        raise CliError("--split must be all, dev or test")
    if protocol not in PROTOCOLS:
        raise CliError(f"--protocol must be {' or '.join(PROTOCOLS)}")
    try:
        loaded = load_corpus(corpus, vectors)
    except (OSError, ValueError, KeyError) as exc:
        raise CliError(f"cannot read the corpus: {exc}") from None
    with progress_display(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("users", total=users)
        results = run_protocol(
            loaded, RankerConfig(method=method), users=users, seed=seed, split=split,
            compare=compare, progress=lambda done: bar.update(task, completed=done),
            protocol=protocol,
        )  # fmt: skip
    if not results.users:
        raise CliError("the corpus has no author with 8 to 40 papers to simulate"
                       if protocol == "authors" else
                       "the corpus has no category narrow enough to be a subject")  # fmt: skip
    for line in report_lines(results, method, seed):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
