"""Topic parsing and matching, and the signed tokens of mail links (no database needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dailypapers.config import Settings
from dailypapers.digest import tokens
from dailypapers.digest.compose import MailPaper, WindowPapers, period_key
from dailypapers.digest.topics import (
    MAX_TOPICS,
    TopicError,
    clean_topics,
    parse_topic,
    topics_from_text,
)

SETTINGS = Settings(secret_key="topic-test-secret", data_dir="/tmp/unused")


def _paper(pid: str, title: str, abstract: str = "", **extra) -> MailPaper:
    values = {"authors": [], "author_count": 0, "organization": None, "upvotes": 0,
              "categories": ["cs.LG"], "feed_date": dt.date(2025, 3, 18), "github_repo": None,
              "project_page": None, "arxiv_id": None, "trending_score": 0.0, **extra}  # fmt: skip
    paper = MailPaper(pid, title, abstract, **values)
    paper.index()
    return paper


WINDOW = WindowPapers([
    _paper("a", "Diffusion Transformers for Video", "We scale diffusion models.",
           authors=["Élodie Durand", "Bo Li"], organization="Google DeepMind"),
    _paper("b", "A survey of diffusion models", "Everything about diffusion.",
           categories=["cs.CV", "cs.LG"]),
    _paper("c", "Graph neural networks", "Message passing with a diffusion kernel."),
])  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("category:cs.CL", "category", "cs.CL"),
    ("CAT: cs.CV", "category", "cs.CV"),
    ("org:Google DeepMind", "org", "Google DeepMind"),
    ("author:  Yann   LeCun", "author", "Yann LeCun"),
    ("diffusion models", "query", "diffusion models"),
    ("title:unknown prefix", "query", "title:unknown prefix"),
])  # fmt: skip
def test_parse_topic(text: str, kind: str, value: str) -> None:
    topic = parse_topic(text)
    assert (topic.kind, topic.value) == (kind, value)


def test_clean_topics_dedupes_and_limits() -> None:
    assert clean_topics(["Diffusion", " diffusion ", "", "org:X"]) == ["Diffusion", "org:X"]
    assert topics_from_text("x\ny; z\n\n") == ["x", "y", "z"]
    with pytest.raises(TopicError, match="at most"):
        clean_topics([f"topic {i}" for i in range(MAX_TOPICS + 1)])
    with pytest.raises(TopicError, match="characters"):
        clean_topics(["x" * 500])
    with pytest.raises(TopicError, match="no word"):
        clean_topics(["-only -exclusions"])


def test_matching_by_kind() -> None:
    assert WINDOW.match(parse_topic("diffusion")) == ["a", "b", "c"]  # title hits first
    assert WINDOW.match(parse_topic("diffusion -survey")) == ["a", "c"]
    assert WINDOW.match(parse_topic('"diffusion models"')) == ["b", "a"]
    assert WINDOW.match(parse_topic("transformer")) == ["a"]  # plural folded
    assert WINDOW.match(parse_topic("category:cs.cv")) == ["b"]
    assert WINDOW.match(parse_topic("org:deepmind")) == ["a"]
    assert WINDOW.match(parse_topic("author:elodie durand")) == ["a"]
    assert WINDOW.match(parse_topic("author:Durand")) == []  # whole names only
    assert WINDOW.match(parse_topic("nothing here")) == []


@given(st.lists(st.text(max_size=150), max_size=12))
def test_any_topic_list_is_accepted_or_refused_clearly(texts: list[str]) -> None:
    try:
        topics = clean_topics(texts)
    except TopicError:
        return
    for text in topics:
        WINDOW.match(parse_topic(text))  # never raises


def test_period_keys() -> None:
    assert period_key("daily", dt.date(2025, 3, 18)) == "daily:2025-03-18"
    assert period_key("weekly", dt.date(2025, 3, 18)) == "weekly:2025-W12"
    assert period_key("weekly", dt.date(2024, 12, 30)) == "weekly:2025-W01"


def test_tokens_are_signed_and_kept_apart() -> None:
    manage = tokens.make_manage_token(SETTINGS, 42, 3)
    assert tokens.read_manage_token(SETTINGS, manage) == (42, 3)
    for forged in (manage.replace("42-3", "43-3"), manage + "x", "42-3", ""):
        with pytest.raises(tokens.InvalidToken):
            tokens.read_manage_token(SETTINGS, forged)
    other = SETTINGS.model_copy(update={"secret_key": "another-secret"})
    with pytest.raises(tokens.InvalidToken):
        tokens.read_manage_token(other, manage)
    request = tokens.ConfirmRequest(7, "a@example.org", "weekly", ("x", "category:cs.CL"))
    confirm = tokens.make_confirm_token(SETTINGS, request)
    assert tokens.read_confirm_token(SETTINGS, confirm) == request
    with pytest.raises(tokens.InvalidToken):  # a confirmation token is no management token
        tokens.read_manage_token(SETTINGS, confirm)
    with pytest.raises(tokens.InvalidToken):
        tokens.read_confirm_token(SETTINGS, manage)
