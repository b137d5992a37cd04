"""Getting papers in: file importers and live sources (arXiv API, Hugging Face daily papers)."""
