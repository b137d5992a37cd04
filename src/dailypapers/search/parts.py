"""Per-paper "part" vectors for facet-aware similarity: the title and each abstract sentence.

Computed at index time (``compute_parts``), stored in ``paper_vectors`` under their own
contract (``parts_contract_key``) as one compact blob per paper, and read back for the few
hundred papers a similar-papers request reranks, so nothing of them is held in memory.

Blob layout (little-endian): ``b"DPP1"``, ``uint16 n`` (sentences), ``uint16 dim``,
``uint8 has_title``; then one float16 scale per stored vector, the vectors as int8
(``round(v / scale)``, ``scale = max|v| / 127``: cosine error below 0.001 for unit
vectors), and each sentence's facet weights as uint8 (``round(255 * w)``). A paper with a
title and 7 sentences at 384 dimensions takes about 3.1 KB (3.1 GB at 1M papers).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dailypapers.search.facets import FACETS, facet_weights
from dailypapers.search.sentences import split_sentences

__all__ = [
    "PARTS_VERSION",
    "PaperParts",
    "compute_parts",
    "decode_parts",
    "encode_parts",
    "parts_contract_key",
    "parts_text",
]

PARTS_VERSION = "parts1"
MAX_SENTENCES = 24  # longer "abstracts" are pasted full texts; their tail adds little
_MAGIC = b"DPP1"
_HEADER = struct.Struct("<4sHHB")

Encoder = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class PaperParts:
    """A paper's title vector (or None), sentence vectors ``(n, dim)`` and facet weights."""

    title: np.ndarray | None
    sentences: np.ndarray
    facets: np.ndarray


def parts_contract_key(doc_contract_key: str) -> str:
    """The ``paper_vectors.contract`` of part vectors made with the same model as the doc
    vectors of ``doc_contract_key`` (so a model change invalidates both)."""
    return f"{PARTS_VERSION}-{doc_contract_key}"[:64]


def parts_text(title: str, abstract: str) -> str:
    """What the part vectors are computed from (its hash tells when they are stale)."""
    return f"{' '.join(title.split())}\n{' '.join((abstract or '').split())}"


def _pieces(title: str, abstract: str) -> tuple[str | None, list[str]]:
    return " ".join(title.split()) or None, split_sentences(abstract or "")[:MAX_SENTENCES]


def compute_parts(encode: Encoder, papers: Sequence[tuple[str, str]]) -> list[PaperParts]:
    """Part vectors of each ``(title, abstract)``; ``encode`` embeds a batch of texts into
    L2-normalised rows (e.g. ``Embedder.embed``). One call for all texts of all papers."""
    pieces = [_pieces(title, abstract) for title, abstract in papers]
    texts = [t for title, sents in pieces for t in ([title] if title else []) + sents]
    matrix = np.asarray(encode(texts), dtype=np.float32) if texts else np.zeros((0, 0))
    out, at = [], 0
    for title, sents in pieces:
        title_vec = matrix[at] if title else None
        at += 1 if title else 0
        dim = matrix.shape[1] if matrix.ndim == 2 else 0
        sentence_vecs = matrix[at : at + len(sents)] if sents else np.zeros((0, dim), np.float32)
        at += len(sents)
        out.append(PaperParts(title_vec, sentence_vecs, facet_weights(sents)))
    return out


def encode_parts(parts: PaperParts) -> bytes:
    """The stored form of ``parts`` (see the module docstring)."""
    rows = ([parts.title] if parts.title is not None else []) + list(parts.sentences)
    dim = len(rows[0]) if rows else 0
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), dim)
    peak = np.abs(matrix).max(axis=1) if len(rows) else np.zeros(0)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float16)
    quantised = np.rint(matrix / scales.astype(np.float32)[:, None]).clip(-127, 127)
    weights = np.rint(np.asarray(parts.facets, dtype=np.float32) * 255).clip(0, 255)
    header = _HEADER.pack(_MAGIC, len(parts.sentences), dim, parts.title is not None)
    return b"".join([
        header, scales.astype("<f2").tobytes(), quantised.astype(np.int8).tobytes(),
        weights.astype(np.uint8).tobytes(),
    ])  # fmt: skip


def decode_parts(blob: bytes) -> PaperParts:
    """Read a blob written by :func:`encode_parts`; raises ``ValueError`` when malformed."""
    if len(blob) < _HEADER.size:
        raise ValueError("part vectors: blob too short")
    magic, count, dim, has_title = _HEADER.unpack_from(blob)
    rows = count + (1 if has_title else 0)
    expected = _HEADER.size + 2 * rows + rows * dim + count * len(FACETS)
    if magic != _MAGIC or len(blob) != expected:
        raise ValueError("part vectors: unknown format")
    at = _HEADER.size
    scales = np.frombuffer(blob, "<f2", rows, at).astype(np.float32)
    at += 2 * rows
    matrix = np.frombuffer(blob, np.int8, rows * dim, at).reshape(rows, dim) * scales[:, None]
    at += rows * dim
    facets = np.frombuffer(blob, np.uint8, count * len(FACETS), at).reshape(count, len(FACETS))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms > 0, norms, 1.0)
    title = matrix[0] if has_title else None
    sentences = matrix[1:] if has_title else matrix
    return PaperParts(title, sentences.astype(np.float32), facets.astype(np.float32) / 255.0)
