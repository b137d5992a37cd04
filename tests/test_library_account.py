"""Your own data: email change by mailed link, linking the digest subscription and giving it
the account's follows, and /docs listing every library endpoint."""

from __future__ import annotations

import pytest

from dailypapers.errors import Conflict, Invalid, NotFound
from dailypapers.library import account, follows
from dailypapers.store import db
from dailypapers.store.models import Subscription, User
from tests.community_fixtures import make_user


def test_email_change_needs_the_mailed_link(settings) -> None:
    uid, _ = make_user(settings, "gina")
    make_user(settings, "hank")
    with db.session_scope(settings) as s:
        with pytest.raises(Conflict):
            account.email_change_token(s, settings, uid, "hank@example.org")
        with pytest.raises(Invalid):
            account.email_change_token(s, settings, uid, "not an address")
        token = account.email_change_token(s, settings, uid, "Gina@New.example.org")
        assert s.get(User, uid).email == "gina@example.org"  # nothing changes yet
    with db.session_scope(settings) as s:
        assert account.confirm_email_change(s, settings, token).email == "gina@new.example.org"
    with db.session_scope(settings) as s, pytest.raises(Invalid, match="already been used"):
        account.confirm_email_change(s, settings, token)
    with db.session_scope(settings) as s, pytest.raises(Invalid, match="not valid"):
        account.confirm_email_change(s, settings, token[:-3] + "abc")


def test_linked_digest_follows_the_accounts_follows(settings) -> None:
    uid, _ = make_user(settings, "ivy")
    with db.session_scope(settings) as s:
        follows.follow(s, uid, "author", "Jane Doe")
        follows.follow(s, uid, "category", "cs.LG")
        follows.follow(s, uid, "search", '"diffusion policy" -survey')
        with pytest.raises(NotFound, match="Link your digest"):
            account.follows_as_digest_topics(s, uid)
        token = account.link_token(settings, uid, "ivy@example.org")
        with pytest.raises(NotFound, match="no confirmed digest"):
            account.confirm_link(s, settings, token, uid)
        s.add(Subscription(email="ivy@example.org", status="confirmed", topics=[]))
        s.flush()
        assert account.confirm_link(s, settings, token, uid).email == "ivy@example.org"
        topics = account.follows_as_digest_topics(s, uid)
    assert topics == ["author:Jane Doe", "category:cs.LG", '"diffusion policy" -survey']


def test_docs_list_every_library_endpoint(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/me/library", "/api/me/library/{paper_id}", "/api/me/library/import",
                 "/api/me/library/export", "/api/me/collections", "/api/me/collections/{slug}",
                 "/api/me/read/{paper_id}", "/api/me/follows", "/api/me/export", "/api/me",
                 "/papers/{paper_id}.bib", "/papers/{paper_id}.ris", "/search.bib"):  # fmt: skip
        assert path in paths, path
