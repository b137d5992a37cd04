"""Search: keyword (BM25), semantic (dense vectors) and hybrid ranking over the papers.

The public surface other packages use is ``__all__`` below; everything else is internal to
``search`` and may change. Writes: ``index_papers`` (after every import or ingestion),
``import_vectors``, ``rebuild``, ``index_parts``, ``backfill_vectors`` (papers without a
current vector: ``pending_ids``, counted by ``missing_vectors``). Reads: ``search`` (a
``SearchRequest`` in, a ``SearchResult`` out; ``QueryError`` for a request the user must
fix), ``related`` (similar papers), ``index_status``; ``start_warm_up`` / ``is_warm``
(readiness for ``/readyz``). The evaluation code lives in ``search.evaluation``.

Inside the package imports flow one way (no cycles)::

    query, facets, sentences, hybrid, vectors      (leaves)
    onnx_model -> embed -> contract -> keyword, engine -> parts_store, indexer
    neighbours -> similar (ranking, related) ; service (search) -> warm
"""

from dailypapers.search.backfill import Missing, pending_ids
from dailypapers.search.backfill import backfill as backfill_vectors
from dailypapers.search.backfill import missing as missing_vectors
from dailypapers.search.contract import (
    Contract,
    contract_for,
    paper_text,
    resolve_model_path,
    text_hash,
)
from dailypapers.search.embed import (
    Embedder,
    export_query_model,
    get_embedder,
    get_query_embedder,
)
from dailypapers.search.engine import LocalIndex, forget_indexes, get_index
from dailypapers.search.engine import status as index_status
from dailypapers.search.indexer import (
    VectorMismatch,
    all_paper_ids,
    embed_papers,
    import_vectors,
    index_papers,
    rebuild,
    store_vectors,
)
from dailypapers.search.onnx_model import Unsupported as ModelUnsupported
from dailypapers.search.parts_store import index_parts
from dailypapers.search.query import ParsedQuery, QueryError, parse_date, parse_query
from dailypapers.search.service import (
    MAX_LIKE_CHARS,
    MAX_LIMIT,
    MODES,
    SORTS,
    SearchHit,
    SearchRequest,
    SearchResult,
    search,
)
from dailypapers.search.similar import related, similar_papers
from dailypapers.search.terms import WORD, index_terms, term_of
from dailypapers.search.warm import is_warm, start_warm_up, warm_up

__all__ = [
    "MAX_LIKE_CHARS",
    "MAX_LIMIT",
    "MODES",
    "SORTS",
    "WORD",
    "Contract",
    "Embedder",
    "LocalIndex",
    "Missing",
    "ModelUnsupported",
    "ParsedQuery",
    "QueryError",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "VectorMismatch",
    "all_paper_ids",
    "backfill_vectors",
    "contract_for",
    "embed_papers",
    "export_query_model",
    "forget_indexes",
    "get_embedder",
    "get_index",
    "get_query_embedder",
    "import_vectors",
    "index_papers",
    "index_parts",
    "index_status",
    "index_terms",
    "is_warm",
    "missing_vectors",
    "paper_text",
    "parse_date",
    "parse_query",
    "pending_ids",
    "rebuild",
    "related",
    "resolve_model_path",
    "search",
    "similar_papers",
    "start_warm_up",
    "store_vectors",
    "term_of",
    "text_hash",
    "warm_up",
]
