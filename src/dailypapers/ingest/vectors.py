"""Precomputed embeddings next to an import: a ``.npy`` matrix and its ``.ids.txt`` row ids.

The shared corpus ships all-MiniLM-L6-v2 vectors this way (``arxiv-cs-74k.minilm.f16.npy``
and ``arxiv-cs-74k.minilm.f16.npy.ids.txt``); loading them spares an hour of embedding.
The search indexer checks that they match its embedding contract before storing them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dailypapers.config import Settings


class VectorFileError(ValueError):
    """The vector file or its id list is missing or does not fit together."""


def ids_path(matrix_path: Path) -> Path:
    """Where the row ids of ``matrix_path`` are: the same name plus ``.ids.txt``."""
    return matrix_path.with_name(matrix_path.name + ".ids.txt")


def read_vector_file(matrix_path: Path) -> tuple[list[str], np.ndarray]:
    """The ids and the matrix (memory-mapped, so a large file is not read at once)."""
    id_file = ids_path(matrix_path)
    if not matrix_path.is_file() or not id_file.is_file():
        raise VectorFileError(f"need {matrix_path} and {id_file}")
    try:
        matrix = np.load(matrix_path, mmap_mode="r")
    except ValueError as exc:
        raise VectorFileError(f"{matrix_path} is not a .npy matrix ({exc})") from None
    ids = id_file.read_text().split()
    if matrix.ndim != 2 or matrix.shape[0] != len(ids):
        raise VectorFileError(f"{matrix_path} has shape {matrix.shape} for {len(ids)} ids")
    return ids, matrix


def load_vector_file(settings: Settings, matrix_path: Path) -> int:
    """Store the vectors of the papers in the database and sync the search index."""
    from dailypapers.search import get_index, import_vectors

    ids, matrix = read_vector_file(matrix_path)
    stored = import_vectors(settings, ids, matrix)
    # embeds nothing (part vectors and uncovered papers are left to the backfill); brings
    # the index files up to date
    get_index(settings).sync()
    return stored
