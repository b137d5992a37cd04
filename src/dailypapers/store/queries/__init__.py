"""The read layer: typed queries over a ``Session``, used by pages, API, CLI, digests and search."""
