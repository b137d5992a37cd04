"""The ``{name:paper_id}`` path convertor: matches only things that can be paper ids.

Routes such as ``/papers/{id}`` would otherwise swallow sibling paths like
``/papers/submit`` or ``/api/papers/search`` registered later by other areas.
Matches new-style arXiv ids (``2503.01234``, optional ``v2``), old-style ones
(``cs/0112017``, ``math.GT/0309136``) and title ids (``t-`` + 12 hex digits).
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

PAPER_ID_PATTERN = (
    r"(?:\d{4}\.\d{4,5}|[a-zA-Z][a-zA-Z\-]*(?:\.[A-Za-z]{2})?/\d{7})(?:v\d+)?|t-[0-9a-fA-F]{12}"
)


class PaperIdConvertor(Convertor[str]):
    regex = PAPER_ID_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("paper_id", PaperIdConvertor())
