"""Getting papers in: file importers and live sources (arXiv API, Hugging Face daily papers).

File import (``dailypapers import``):

- ``runner``: ``import_paths(settings, paths, fmt, year, strict, progress) -> ImportReport``;
  format detection, gzip, batches of ~1,000 records per transaction, bad-entry reports;
- ``pages``, ``arxiv_jsonl``, ``hf_daily``: one parser per format, each yielding ``Entry``
  objects (``entries``) with their line numbers; ``hf_daily.hf_daily_record`` maps one
  ``/api/daily_papers`` entry and is shared with the live ingester;
- ``vectors``: precomputed embeddings stored next to an import; ``sample``: the bundled
  demo corpus.

Live sources (``dailypapers ingest``): ``http``, ``arxiv_api``, ``oai``, ``hf_api``, ``live``,
``cursors``, ``tasks``.
"""
