"""Query embeddings without torch: the configured model exported once to ONNX, run with
onnxruntime and the ``tokenizers`` library.

A web worker embeds one short query per new search; loading torch and sentence-transformers
for that costs several hundred MB resident per worker. This module runs the same network with
onnxruntime instead (the same weights, tokenizer and pooling: cosine ≥ 0.9999 against
sentence-transformers, identical rankings — checked at export and by
``python -m bench query_embedding``).

The ``.onnx`` file (about 90 MB for MiniLM) is derived from the model's weights and never
committed: ``dailypapers model export`` writes it, or the first query of a worker does, in a
**subprocess** (which imports torch; the worker never does), into ``MODEL_CACHE_DIR`` (default
``DATA_DIR/models``) under a file lock, so several workers export it once. The export checks
its own output against sentence-transformers on sample texts and keeps the file only if every
cosine is ≥ ``EXPORT_MIN_COSINE``.

Only models of the sentence-transformers shape *Transformer → mean pooling → Normalize* with a
``tokenizer.json`` are exported; any other model (or a missing onnxruntime) falls back to
sentence-transformers, which ``runtime_status`` reports.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the exported graph changes: old files are re-exported
EXPORT_MIN_COSINE = 0.9999
EXPORT_TIMEOUT_SECONDS = 600
_SAMPLES = [
    "speculative decoding",
    "how can language models verify their own answers",
    "Attention Is All You Need. The dominant sequence transduction models are based on "
    "complex recurrent or convolutional neural networks that include an encoder and a decoder.",
    "Über Ünïcödé 深度学习 モデル",
    "a",
]


class Unsupported(Exception):
    """The model cannot be run by onnxruntime here (shape, files or onnxruntime missing)."""


def check_shape(folder: Path) -> None:
    """Raise ``Unsupported`` unless ``folder`` is a Transformer → mean pooling → Normalize
    sentence-transformers model with a fast tokenizer file."""
    modules_file = folder / "modules.json"
    if not (folder / "tokenizer.json").is_file() or not modules_file.is_file():
        raise Unsupported(f"{folder} has no tokenizer.json or modules.json")
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads(modules_file.read_text())]
    if modules != ["Transformer", "Pooling", "Normalize"]:
        raise Unsupported(f"modules {modules}, not Transformer, Pooling, Normalize")
    pooling_dir = next(
        (folder / m["path"] for m in json.loads(modules_file.read_text()) if m["type"].endswith(
            "Pooling")),
        folder / "1_Pooling",
    )  # fmt: skip
    pooling = json.loads((pooling_dir / "config.json").read_text())
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise Unsupported(f"pooling {modes}, not mean")


def max_seq_length(folder: Path, default: int = 256) -> int:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length") or default)
    return default


def fingerprint(folder: Path) -> str:
    """What the exported file depends on: the weights, configs and tokenizer, and this code."""
    digest = hashlib.sha1(f"export-v{EXPORT_VERSION}".encode(), usedforsecurity=False)
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if path.is_file() and (name.endswith((".json", ".safetensors", ".bin", ".txt"))):
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}".encode())
            with open(path, "rb") as fh:  # head and tail: cheap, and changes with the weights
                digest.update(fh.read(1 << 16))
                if stat.st_size > 1 << 17:
                    fh.seek(-(1 << 16), os.SEEK_END)
                    digest.update(fh.read())
    return digest.hexdigest()[:16]


def export_path(cache_dir: Path, folder: Path) -> Path:
    return cache_dir / f"onnx-{fingerprint(folder)}" / "model.onnx"


# --- export (imports torch: run by `dailypapers model export` or in a subprocess) -------------
def export(folder: Path, out: Path) -> dict:
    """Export the model in ``folder`` to ``out`` (graph: token ids → pooled, L2-normalised
    vector), check it against sentence-transformers, then move it into place atomically."""
    check_shape(folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(f".partial-{os.getpid()}")
    ids = torch.tensor([[101, 7592, 102], [101, 7592, 102]], dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    started = time.perf_counter()
    torch.onnx.export(
        Pooled().eval(), (ids, torch.ones_like(ids)), str(partial),
        input_names=["input_ids", "attention_mask"], output_names=["embedding"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
        opset_version=17, dynamo=False,
    )  # fmt: skip
    took = time.perf_counter() - started
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(folder), device="cpu")
    reference.max_seq_length = max_seq_length(folder)
    expected = reference.encode(_SAMPLES, normalize_embeddings=True, convert_to_numpy=True)
    got = OnnxEncoder(folder, partial).embed(_SAMPLES)
    cosine = float((np.asarray(expected) * got).sum(axis=1).min())
    if cosine < EXPORT_MIN_COSINE:
        partial.unlink(missing_ok=True)
        raise Unsupported(f"exported model disagrees with sentence-transformers: cos {cosine}")
    os.replace(partial, out)
    meta = {"model": str(folder), "export_seconds": round(took, 1), "min_cosine": cosine,
            "bytes": out.stat().st_size}  # fmt: skip
    (out.parent / "export.json").write_text(json.dumps(meta, indent=1))
    return meta


# This file alone in a fresh interpreter (``-I``: no current folder on the path), not as
# ``dailypapers.search.onnx_model``: importing the search package first (its native libraries)
# made torch's exporter hang in tracing, and the folder's ``keyword.py`` would shadow the
# standard library's if the file were run as a script.
_RUN_THIS_FILE = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_exported(folder: Path, cache_dir: Path) -> Path:
    """The exported file of ``folder``, exporting it in a subprocess (once, under a file lock
    shared by every worker using ``cache_dir``) when it is missing."""
    check_shape(folder)
    out = export_path(cache_dir, folder)
    if out.is_file():
        return out
    with _locked(out):
        if out.is_file():  # another worker exported it while we waited
            return out
        log.info("exporting %s to ONNX (once, in a subprocess) into %s", folder, out.parent)
        done = subprocess.run(
            [sys.executable, "-I", "-c", _RUN_THIS_FILE, __file__, str(folder), str(out)],
            capture_output=True, text=True, timeout=EXPORT_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not out.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise Unsupported(f"ONNX export failed: {tail[0]}")
    return out


# --- run (no torch) ---------------------------------------------------------------------------
class OnnxEncoder:
    """The exported model run by onnxruntime, tokenised by ``tokenizers`` as
    sentence-transformers does (stripped text, truncation at ``max_seq_length``, padding to the
    longest text of the batch)."""

    def __init__(self, folder: Path, file: Path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are dependencies
            raise Unsupported(f"{exc.name} is not installed") from exc
        self.file = file
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        pad = self.tokenizer.token_to_id("[PAD]")
        pad = 0 if pad is None else pad
        self.tokenizer.enable_truncation(max_length=max_seq_length(folder))
        self.tokenizer.enable_padding(pad_id=pad, pad_token=self.tokenizer.id_to_token(pad) or "")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
        self.dim = int(self.embed(["a"]).shape[1])  # also the first run, which is slower

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            batch = self.tokenizer.encode_batch([t.strip() for t in chunk])
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            out.append(self.session.run(None, feed)[0])
        return np.asarray(np.concatenate(out), dtype=np.float32)


def main(argv: list[str]) -> int:
    """``python -m dailypapers.search.onnx_model FOLDER OUT``: the subprocess export."""
    folder, out = Path(argv[0]), Path(argv[1])
    try:
        meta = export(folder, out)
    except Unsupported as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
