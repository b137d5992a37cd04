"""Measuring search and similar-papers quality on labelled collections (not used at run time).

``csfcube`` reads the CSFCube format and holds its metrics, ``evaluate`` ranks CSFCube pools
with the product's methods (``dailypapers eval csfcube``), ``embed_cache`` keeps evaluation
embeddings on disk.
"""
