"""Library services on a real database: saves, collections, tags, notes, read state, follows,
and the one-query marks that list pages use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dailypapers.errors import Conflict, Forbidden, Invalid, NotFound
from dailypapers.library import collections, follows, reads, saves
from dailypapers.library.notes import render_note
from dailypapers.store import db
from dailypapers.store.models_library import CollectionPaper, PaperTag
from dailypapers.store.queries.library import (
    LibraryFilter,
    library_page,
    marks_for,
    tag_counts,
    user_signals,
)
from tests.community_fixtures import make_user
from tests.factories import add_papers, make_records
from tests.querylog import recorded_statements


@pytest.fixture
def world(settings):
    records = make_records(5)
    add_papers(settings, records)
    uid, _ = make_user(settings, "libby")
    return uid, [r.arxiv_id for r in records]


def test_save_is_idempotent_and_lands_in_the_reading_list(settings, world) -> None:
    uid, ids = world
    with db.session_scope(settings) as s:
        first = saves.save_paper(s, uid, ids[0], tags="gnn, Graphs", note="**bold**")
        again = saves.save_paper(s, uid, f"https://arxiv.org/abs/{ids[0]}v2", tags=["graphs"])
        assert first.created and not again.created
    with db.session_scope(settings) as s:
        items, total = library_page(s, uid, LibraryFilter())
        assert total == 1
        assert items[0].tags == ["gnn", "Graphs"]  # "graphs" is the same tag, any case
        assert items[0].collections == [("reading-list", "Reading list")]
        assert render_note(items[0].note) == "<p><strong>bold</strong></p>\n"


def test_unsave_removes_tags_and_memberships(settings, world) -> None:
    uid, ids = world
    with db.session_scope(settings) as s:
        saves.save_paper(s, uid, ids[0], collection="Thesis", tags=["a", "b"])
    with db.session_scope(settings) as s:
        saves.unsave_paper(s, uid, ids[0])
    with db.session_scope(settings) as s:
        assert s.scalars(select(PaperTag)).all() == []
        assert s.scalars(select(CollectionPaper)).all() == []


def test_collections_rename_share_delete(settings, world) -> None:
    uid, _ids = world
    with db.session_scope(settings) as s:
        col = collections.create_collection(s, uid, "Graph  Papers")
        assert col.slug == "graph-papers" and not col.is_public
        with pytest.raises(Conflict):
            collections.create_collection(s, uid, "graph papers")
        collections.set_public(col, True)
        share = col.share_slug
        collections.rename_collection(s, col, "GNN reading")
        assert col.slug == "gnn-reading" and col.share_slug == share
        assert collections.public_collection(s, share).id == col.id
        imp = collections.create_collection(s, uid, "Import")
        assert imp.slug == "import-list"  # /library/import is a page of its own
        with pytest.raises(Forbidden):
            collections.delete_collection(s, collections.default_collection(s, uid))
        collections.delete_collection(s, col)
        with pytest.raises(NotFound):
            collections.public_collection(s, share)


def test_bad_input_is_refused_with_a_reason(settings, world) -> None:
    uid, _ = world
    with db.session_scope(settings) as s:
        with pytest.raises(NotFound):
            saves.save_paper(s, uid, "9999.99999")
        with pytest.raises(Invalid):
            saves.clean_tags(["x" * 65])
        with pytest.raises(Invalid):
            follows.follow(s, uid, "planet", "Mars")
        with pytest.raises(Invalid):
            follows.follow(s, uid, "category", "not a category!")


def test_notes_are_rendered_safely() -> None:
    html = render_note("<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.org)")
    assert "<script>" not in html and 'href="javascript' not in html
    assert '<a href="https://a.org" rel="nofollow noopener ugc">ok</a>' in html
    assert render_note("a <b>\nb", "plain") == '<p class="note-plain">a &lt;b&gt;<br>b</p>'


def test_marks_are_one_query_whatever_the_page(settings, world) -> None:
    uid, ids = world
    with db.session_scope(settings) as s:
        saves.save_paper(s, uid, ids[0])
        reads.mark_read(s, uid, ids[1])
        reads.mark_read(s, uid, ids[0])
    engine = db.get_engine(settings)
    with recorded_statements(engine) as seen, db.session_scope(settings) as s:
        marks = marks_for(s, uid, ids + [f"other-{i}" for i in range(300)])
    assert len(seen) == 1
    assert marks.saved == {ids[0]} and marks.read == {ids[0], ids[1]} and not marks.upvoted


def test_library_filters_and_read_state(settings, world) -> None:
    uid, ids = world
    with db.session_scope(settings) as s:
        for pid in ids[:3]:
            saves.save_paper(s, uid, pid, tags=["t1"] if pid == ids[0] else None)
        saves.save_paper(s, uid, ids[2], collection="Other")
        reads.mark_read(s, uid, ids[1])
        assert reads.mark_unread(s, uid, ids[1]) and not reads.mark_unread(s, uid, ids[1])
        reads.mark_read(s, uid, ids[1])
    with db.session_scope(settings) as s:
        other = collections.get_collection(s, uid, "other")
        assert library_page(s, uid, LibraryFilter(collection_id=other.id))[1] == 1
        assert library_page(s, uid, LibraryFilter(tag="T1"))[1] == 1
        unread, n = library_page(s, uid, LibraryFilter(read="unread"))
        assert n == 2 and ids[1] not in {i.paper.id for i in unread}
        assert tag_counts(s, uid) == [("t1", 1)]
        signals = user_signals(s, uid)
        assert {p for p, _ in signals.saved} == set(ids[:3])


def test_follows_are_digest_topics(settings, world) -> None:
    uid, _ = world
    with db.session_scope(settings) as s:
        row, new = follows.follow(s, uid, "author", "  Yann   LeCun ")
        _, again = follows.follow(s, uid, "author", "yann lecun")
        assert new and not again and row.value == "Yann LeCun"
        follows.follow(s, uid, "search", '"diffusion policy" -survey')
    assert follows.topic_line("author", "Yann LeCun") == "author:Yann LeCun"
    assert follows.from_topic("category:cs.LG") == ("category", "cs.LG")
    assert follows.from_topic("graph neural") == ("search", "graph neural")
    assert follows.search_query("org", "Google DeepMind") == 'org:"Google DeepMind"'


def test_follows_of_many_users_in_one_query(settings, world) -> None:
    from dailypapers.store.queries.library import follows_of

    uid, _ = world
    other, _ = make_user(settings, "other-reader")
    with db.session_scope(settings) as s:
        follows.follow(s, uid, "category", "cs.LG")
        follows.follow(s, other, "org", "Google")
    with db.session_scope(settings) as s:
        assert follows_of(s, [uid, other, 999]) == {
            uid: [("category", "cs.LG")],
            other: [("org", "Google")],
        }
