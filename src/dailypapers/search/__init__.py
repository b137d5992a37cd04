"""Search: keyword (BM25), semantic (dense vectors) and hybrid ranking over the papers.

Public entry points: ``indexer.index_papers`` / ``indexer.import_vectors`` (writes),
``service.search`` (reads) and ``engine.get_index`` (the process-wide index).
"""
