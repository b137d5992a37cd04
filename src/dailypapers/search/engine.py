"""The local search index of one data folder: keyword + vectors, kept in step with the database.

Layout of ``DATA_DIR/index/``: ``tantivy/`` (keyword index), ``rows.txt`` (paper id of every
row, append-only), ``vectors-<contract>.npy`` + ``.rows.npy`` (+ ``ann-<contract>.usearch``)
(vector snapshot), ``state.json`` (watermarks, generation). The database is the source of
truth: papers and ``paper_vectors`` carry ``updated_at``, and ``sync`` brings the files and
this process's memory up to date. Writers take ``index.lock`` (one at a time, across
processes); every worker refreshes every ``index_refresh_seconds`` in a background thread, so
papers imported elsewhere appear without a restart.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import tantivy
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from dailypapers.config import Settings, resolved
from dailypapers.search.contract import Contract, contract_for
from dailypapers.search.embed import get_query_embedder
from dailypapers.search.keyword import SCHEMA_VERSION, KeywordDoc, KeywordIndex
from dailypapers.search.vectors import VectorIndex, load_snapshot, write_snapshot
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperVector, utcnow

log = logging.getLogger(__name__)
# A transaction may commit a while after it stamped ``updated_at``: stamps newer than this
# (by the clock) are not trusted to be complete yet and are looked at again, deduplicated.
OVERLAP = dt.timedelta(minutes=2)
EPOCH = dt.datetime(1970, 1, 1)
BATCH = 2000
Progress = Callable[[int], None]
PaperRow = Any  # a row of ``_paper_rows``'s columns (SQLAlchemy's Row typing varies by version)


def index_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "index"


class LocalIndex:
    """Keyword and vector indexes of one data folder, for one embedding contract."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = index_dir(settings)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.contract: Contract = contract_for(settings.embedding_model)
        self._mutex = threading.RLock()
        self.last_refresh = 0.0
        self.closed = threading.Event()  # set when the process forgets it: its refresher stops
        # One BLAS thread: requests run concurrently, and a multi-threaded product of a small
        # matrix spends more time waking threads than multiplying (10 ms vs 0.06 ms at 3k).
        threadpool_limits(1, user_api="blas")
        self._upgrade_keyword()
        self._load()

    # --- loading ---------------------------------------------------------------------------
    def _load(self) -> None:
        state = self._read_state()
        self.generation = state["generation"]
        ids: list[str] = []
        row_of: dict[str, int] = {}
        self._read_rows(ids, row_of)
        self.ids, self.row_of = ids, row_of  # swapped whole: searches never see them empty
        self.keyword = KeywordIndex(self.folder / "tantivy")
        self._load_vectors(state)

    def _upgrade_keyword(self) -> None:
        """Drop a keyword index of an older layout; the next sync re-adds every paper."""
        if self._read_state().get("keyword_schema") == SCHEMA_VERSION:
            return
        with self._locked():
            state = self._read_state()
            if state.get("keyword_schema") != SCHEMA_VERSION:
                log.warning("rebuilding the keyword index (new layout %s)", SCHEMA_VERSION)
                shutil.rmtree(self.folder / "tantivy", ignore_errors=True)
                state.update(papers_wm=None, recent={}, keyword_schema=SCHEMA_VERSION)
                self._write_state(state)

    def _load_vectors(self, state: dict) -> None:
        snap = state.get("vectors", {}).get(self.contract.key, {})
        self.vectors: VectorIndex = load_snapshot(
            self.folder, self.contract.key, self.contract.dim,
            self.settings.search_exact_max, self.settings.search_graph_min, self._locked,
        )  # fmt: skip
        self.vectors_generation = snap.get("generation")
        self.vectors_wm = _parse(snap.get("wm"))
        self._vec_seen: dict[str, dt.datetime] = {}

    def _read_state(self) -> dict:
        path = self.folder / "state.json"
        if path.exists():
            return json.loads(path.read_text())
        return {"generation": uuid.uuid4().hex, "papers_wm": None, "recent": {}, "vectors": {},
                "keyword_schema": SCHEMA_VERSION}  # fmt: skip

    def _write_state(self, state: dict) -> None:
        tmp = self.folder / "state.json.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.folder / "state.json")

    def _read_rows(
        self, ids: list[str] | None = None, row_of: dict[str, int] | None = None
    ) -> None:
        """Append the rows of ``rows.txt`` not read yet (to this index's lists by default)."""
        ids = self.ids if ids is None else ids
        row_of = self.row_of if row_of is None else row_of
        path = self.folder / "rows.txt"
        if not path.exists():
            return
        with path.open() as fh:
            for i, line in enumerate(fh):
                if i >= len(ids):
                    pid = line.rstrip("\n")
                    row_of[pid] = len(ids)
                    ids.append(pid)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.folder / "index.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- syncing ---------------------------------------------------------------------------
    def sync(self, progress: Progress | None = None, snapshot: bool = False) -> None:
        """Bring the files (under the lock) and this process's memory up to the database."""
        with self._mutex:
            with self._locked():
                state = self._read_state()
                if state["generation"] != self.generation:
                    self._load()
                self._read_rows()  # rows another process appended
                self._sync_keyword(state, progress)
                self._sync_vectors(state)
                self._maybe_snapshot(state, force=snapshot)
                state["contract"] = self.contract.key
                state["contract_text"] = self.contract.describe()
                self._write_state(state)
            self.keyword.reload()
            self.last_refresh = time.monotonic()

    def _sync_keyword(self, state: dict, progress: Progress | None) -> None:
        """Write the papers changed since the watermark; only their ids and stamps are read
        first, so that the overlap's papers already written (``recent``: after a bulk import,
        all of them, for two minutes) cost no more than that."""
        since = _parse(state.get("papers_wm"))
        recent: dict[str, str] = state.get("recent", {})
        newest = since
        with db.session_scope(self.settings) as session:
            for chunk in _stamp_chunks(session, since):
                self._append_rows([pid for pid, _ in chunk])
                changed = []
                for pid, stamp in chunk:
                    newest = max(newest, stamp)
                    if recent.get(pid) != (iso := stamp.isoformat()):
                        recent[pid] = iso
                        changed.append(pid)
                if changed:
                    self.keyword.write([self._doc(row) for row in _paper_rows(session, changed)])
                if progress:
                    progress(len(chunk))
        safe = max(since, min(newest, utcnow() - OVERLAP))
        state["recent"] = {k: v for k, v in recent.items() if v > safe.isoformat()}
        state["papers_wm"] = safe.isoformat()

    def _append_rows(self, ids: list[str]) -> None:
        new = [pid for pid in dict.fromkeys(ids) if pid not in self.row_of]
        if not new:
            return
        with (self.folder / "rows.txt").open("a") as fh:
            fh.write("".join(f"{pid}\n" for pid in new))
        for pid in new:
            self.row_of[pid] = len(self.ids)
            self.ids.append(pid)

    def _doc(self, row: PaperRow) -> KeywordDoc:
        return KeywordDoc(
            row=self.row_of[row.id], id=row.id, title=row.title, abstract=row.abstract or "",
            authors=row.authors or [],
            organization=row.organization, categories=row.categories or [],
            published=row.published_on or row.feed_date, has_code=bool(row.github_repo),
        )  # fmt: skip

    def _sync_vectors(self, state: dict | None = None) -> None:
        """Load vectors stored since this process's watermark into the in-memory delta."""
        newest = pending = self.vectors_wm
        with db.session_scope(self.settings) as session:
            stmt = (
                select(PaperVector.paper_id, PaperVector.vector, PaperVector.updated_at)
                .where(PaperVector.contract == self.contract.key)
                .where(PaperVector.updated_at > self.vectors_wm)
                .order_by(PaperVector.updated_at)
            )
            rows: list[int] = []
            vecs: list[np.ndarray] = []
            batch: list[tuple[int, bytes]] = []
            for pid, blob, stamp in session.execute(stmt).yield_per(BATCH):
                row = self.row_of.get(pid)
                if row is None:  # its paper is not indexed yet: come back to it
                    pending = stamp if pending == self.vectors_wm else min(pending, stamp)
                    continue
                if self._vec_seen.get(pid) == stamp:
                    continue
                self._vec_seen[pid] = stamp
                newest = max(newest, stamp)
                batch.append((row, blob))
                if len(batch) >= BATCH:
                    self._new_vectors(batch, rows, vecs)
                    batch = []
            self._new_vectors(batch, rows, vecs)
        if rows:
            self.vectors.put(rows, np.concatenate(vecs))
        limit = utcnow() - OVERLAP
        if pending != self.vectors_wm:
            limit = min(limit, pending - dt.timedelta(microseconds=1))
        self.vectors_wm = max(self.vectors_wm, min(newest, limit))
        self._vec_seen = {k: v for k, v in self._vec_seen.items() if v > self.vectors_wm}

    def _new_vectors(
        self, batch: list[tuple[int, bytes]], rows: list[int], vecs: list[np.ndarray]
    ) -> None:
        """Add to ``rows`` and ``vecs`` those of ``batch`` the snapshot does not already hold
        (compared all at once: one at a time, a bulk import's 75k took 0.8 s per sync)."""
        if not batch:
            return
        ids = np.fromiter((r for r, _ in batch), np.int64, len(batch))
        mat = np.frombuffer(b"".join(b for _, b in batch), np.float16).reshape(len(batch), -1)
        new = ~self.vectors.same_as_base(ids, mat)
        rows += ids[new].tolist()
        vecs.append(mat[new])

    def _maybe_snapshot(self, state: dict, force: bool = False) -> None:
        """Fold a large delta into a new snapshot file, so that start-up stays fast."""
        snaps = state.setdefault("vectors", {})
        snap = snaps.get(self.contract.key, {})
        if snap.get("generation") != self.vectors_generation:  # another process wrote one
            self._load_vectors(state)
            self._sync_vectors()
            return
        delta = len(self.vectors.delta)
        if not force and delta < max(2000, len(self.vectors.base_rows) // 5):
            return
        rows, mat = self.vectors.merged()
        write_snapshot(self.folder, self.contract.key, rows, mat,
                       self.settings.search_exact_max, self.settings.search_graph_min)  # fmt: skip
        gen = uuid.uuid4().hex
        snaps[self.contract.key] = {"generation": gen, "wm": (self.vectors_wm).isoformat()}
        self._load_vectors(state)
        self._sync_vectors()

    def maybe_refresh(self) -> None:
        """Sync when the last refresh is older than ``index_refresh_seconds``."""
        if time.monotonic() - self.last_refresh >= self.settings.index_refresh_seconds:
            try:
                self.sync()
            except Exception:  # a refresh failure must not break searching
                log.exception("search index refresh failed")

    def reset(self) -> None:
        """Delete the files (for ``index rebuild``); the next sync indexes everything again."""
        with self._mutex, self._locked():
            for child in self.folder.iterdir():
                if child.name == "index.lock":
                    continue
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            self._write_state(self._read_state())
            self._load()

    def status(self) -> dict:
        return {
            "folder": str(self.folder),
            "contract": self.contract.key,
            "keyword_docs": self.keyword.num_docs(),
            "rows": len(self.ids),
            "vectors": len(self.vectors),
            "vector_snapshot": len(self.vectors.base_rows),
            "ann": self.vectors.ann is not None,
        }


def _parse(value: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else EPOCH


def _stamp_chunks(session: Session, since: dt.datetime) -> Iterator[list[tuple[str, dt.datetime]]]:
    """Ids and stamps of the papers updated after ``since``, oldest change first, ``BATCH`` at
    a time (each chunk a query of its own, from where the last one ended: no open cursor
    while the caller reads the papers)."""
    after: tuple[dt.datetime, str] | None = None
    while True:
        stmt = select(Paper.id, Paper.updated_at).where(Paper.updated_at > since)
        if after is not None:
            stamp, pid = after
            stmt = stmt.where(tuple_(Paper.updated_at, Paper.id) > tuple_(stamp, pid))
        chunk = [(pid, stamp) for pid, stamp in session.execute(
            stmt.order_by(Paper.updated_at, Paper.id).limit(BATCH)
        )]  # fmt: skip
        if not chunk:
            return
        yield chunk
        after = chunk[-1][1], chunk[-1][0]


def _paper_rows(session: Session, ids: list[str]) -> list[PaperRow]:
    """What the keyword index holds of these papers."""
    stmt = (
        select(
            Paper.id, Paper.title, Paper.abstract, Paper.authors, Paper.organization,
            Paper.categories, Paper.published_on, Paper.github_repo, Paper.updated_at,
            FeedEntry.feed_date,
        )
        .outerjoin(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(Paper.id.in_(ids))
    )  # fmt: skip
    return list(session.execute(stmt))


_indexes: dict[tuple, LocalIndex] = {}
_indexes_lock = threading.Lock()


def index_key(settings: Settings) -> tuple[str, str, str]:
    return (
        str(resolved(settings.data_dir)),
        settings.sqlalchemy_url,
        settings.embedding_model,
    )


def loaded_index(settings: Settings) -> LocalIndex | None:
    """The process-wide index if this process has already opened it (no sync, no thread)."""
    with _indexes_lock:
        return _indexes.get(index_key(settings))


def get_index(settings: Settings) -> LocalIndex:
    """The process-wide index of ``settings.data_dir``.

    Synced on first use, then by a background thread every ``index_refresh_seconds``, so that
    no request waits for a refresh.
    """
    key = index_key(settings)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = LocalIndex(settings)
            index.sync()
            _start_refresher(index)
    return index


def _start_refresher(index: LocalIndex) -> None:
    def loop() -> None:
        if len(index.vectors):  # load the model now, not on the first semantic query
            try:
                get_query_embedder(index.settings)
            except Exception:
                log.exception("could not load the embedding model")
        while not index.closed.wait(index.settings.index_refresh_seconds):
            if not index.folder.exists():
                return
            index.maybe_refresh()

    threading.Thread(target=loop, name="search-index-refresh", daemon=True).start()


def status(settings: Settings) -> dict:
    """Counts, contract and staleness of the index, without loading or syncing it."""
    contract = contract_for(settings.embedding_model)
    folder = index_dir(settings)
    state = (
        json.loads((folder / "state.json").read_text()) if (folder / "state.json").exists() else {}
    )
    since = _parse(state.get("papers_wm"))
    with db.session_scope(settings) as session:
        papers = session.scalar(select(func.count()).select_from(Paper)) or 0
        by_contract = dict(session.execute(
            select(PaperVector.contract, func.count()).group_by(PaperVector.contract)
        ).all())  # fmt: skip
        changed = (
            session.scalar(select(func.count()).select_from(Paper).where(Paper.updated_at > since))
            or 0
        )
    current = state.get("keyword_schema") == SCHEMA_VERSION and (folder / "tantivy").exists()
    keyword_docs = tantivy.Index.open(str(folder / "tantivy")).searcher().num_docs if current else 0
    return {
        "papers": papers,
        "vectors": by_contract.get(contract.key, 0),
        "vectors_other_contracts": sum(v for k, v in by_contract.items() if k != contract.key),
        "contract": contract.key,
        "contract_text": contract.describe(),
        "index_contract": state.get("contract"),
        "keyword_docs": keyword_docs,
        "changed_since_sync": max(0, changed - len(state.get("recent", {}))),
        "last_sync": state.get("papers_wm"),
    }


def forget_indexes(data_dir: Path | None = None) -> None:
    """Drop the cached indexes of this process, or only those of ``data_dir``, and stop their
    refreshers (tests; after ``index rebuild`` elsewhere)."""
    folder = None if data_dir is None else str(resolved(data_dir))
    with _indexes_lock:
        for key in [k for k in _indexes if folder is None or k[0] == folder]:
            _indexes.pop(key).closed.set()
