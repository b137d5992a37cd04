"""Importing reference files: real-world exports (Zotero, Mendeley, Google Scholar), bad input,
idempotent re-import, pending arXiv ids fetched by the job (and kept, with a reason, offline),
and exports that round-trip through the importer to the same library."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dailypapers.errors import Invalid, TooLarge
from dailypapers.library import saves
from dailypapers.library.formats import read_references
from dailypapers.library.formats.export import ExportItem, bibtex_keys, export, plain_citation
from dailypapers.library.formats.latex import decode, encode_free_text
from dailypapers.library.importer import apply_import, plan_import
from dailypapers.library.pending import fetch_pending
from dailypapers.store import db
from dailypapers.store.queries.library import (
    LibraryFilter,
    all_saved_ids,
    library_page,
    pending_imports,
)
from tests.community_fixtures import arxiv_replay, make_user
from tests.library_fixtures import FIXTURES, add_known_papers


def _import(settings, uid: int, name: str, data: bytes | None = None, collection=None):
    parsed = read_references(data if data is not None else (FIXTURES / name).read_bytes(), name)
    with db.session_scope(settings) as s:
        return apply_import(s, uid, plan_import(s, uid, parsed), collection=collection)


@pytest.fixture
def user(settings) -> int:
    add_known_papers(settings)
    return make_user(settings, "importer")[0]


def test_zotero_bibtex(settings, user) -> None:
    report = _import(settings, user, "zotero.bib")
    by_key = {o.entry.key: o for o in report.outcomes}
    assert by_key["vaswani_attention_2017"].status == "matched"
    assert by_key["vaswani_attention_2017"].how == "arxiv"
    assert by_key["muller_schrodinger_2025"].status == "unmatched"
    assert by_key["muller_schrodinger_2025"].entry.title.startswith("Schrödinger's Transformer")
    assert by_key["muller_schrodinger_2025"].entry.authors[0] == "Jörg Müller"
    assert by_key["new_paper_2025"].status == "pending"
    with db.session_scope(settings) as s:
        items, _ = library_page(s, user, LibraryFilter())
        assert [p.arxiv_id for p in pending_imports(s, user)] == ["2511.09999"]
    assert "transformers" in items[0].tags and items[0].note == "Comment: 15 pages, 5 figures"


def test_mendeley_duplicate_keys_are_kept(settings, user) -> None:
    report = _import(settings, user, "mendeley.bib")
    assert [o.paper_id for o in report.outcomes] == ["1706.03762", "2006.11239", "2207.12598"]
    assert report.problems == []
    with db.session_scope(settings) as s:
        items, _ = library_page(s, user, LibraryFilter())
    notes = {i.paper.id: i.note for i in items}
    assert notes["2006.11239"] == "Important: read section 3 & the appendix"


def test_google_scholar_matches_by_title_and_journal(settings, user) -> None:
    report = _import(settings, user, "scholar.bib")
    how = {o.entry.key: (o.status, o.how) for o in report.outcomes}
    assert how == {
        "vaswani2017attention": ("matched", "title"),
        "ho2020denoising": ("matched", "title"),
        "ho2022classifier": ("matched", "arxiv"),  # journal={arXiv preprint arXiv:…}
        "brown2020language": ("matched", "arxiv"),  # DBLP's CoRR abs/…
    }


@pytest.mark.parametrize("name", ["zotero.ris", "zotero.json", "ids.txt"])
def test_ris_csl_and_lists(settings, user, name: str) -> None:
    report = _import(settings, user, name)
    with db.session_scope(settings) as s:
        saved = set(all_saved_ids(s, user))
    assert "1706.03762" in saved and "2006.11239" in saved
    if name == "zotero.json":
        assert report.counts["unmatched"] == 1 and report.problems[0].line == 5
        assert "2005.14165" in saved  # matched by title
    if name == "zotero.ris":
        assert report.problems[0].line == 27  # the record without an end
    if name == "ids.txt":
        assert [p.line for p in report.problems] == [7]
        assert report.counts["pending"] == 1 and report.counts["unmatched"] == 1


def test_reimport_adds_nothing(settings, user) -> None:
    _import(settings, user, "zotero.bib", collection="Thesis")
    again = _import(settings, user, "zotero.bib", collection="Thesis")
    assert again.counts["matched"] == 0 and again.counts["already"] == 1
    with db.session_scope(settings) as s:
        items, total = library_page(s, user, LibraryFilter())
        assert total == 1 and len(pending_imports(s, user)) == 1
        assert len(items[0].tags) == 3


def test_broken_bibtex_keeps_good_entries(settings, user) -> None:
    report = _import(settings, user, "broken.bib")
    assert [o.paper_id for o in report.outcomes] == ["1706.03762", "2207.12598"]
    assert [p.line for p in report.problems] == [7]


def test_bad_files_are_refused_clearly() -> None:
    with pytest.raises(TooLarge, match="at most 10 MB"):
        read_references(b"@misc{a, title={x}}\n" * 2_700_000, "big.bib")
    with pytest.raises(Invalid, match="binary file"):
        read_references(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20, "x.bib")
    many = "".join(f"@misc{{k{i}, title={{T {i}}}}}\n" for i in range(100_000)).encode()
    with pytest.raises(TooLarge, match="100,000 entries"):
        read_references(many, "many.bib")
    with pytest.raises(Invalid, match="empty"):
        read_references(b"  \n", "x.bib")


def test_invalid_utf8_is_reported_by_line() -> None:
    data = b"@misc{a, eprint={1706.03762}, archivePrefix={arXiv}}\n"
    data += b"@misc{b, title={Caf\xe9 Latin-1}, eprint={2006.11239}}\n"
    parsed = read_references(data, "mixed.bib")
    assert [e.arxiv_id for e in parsed.entries] == ["1706.03762", "2006.11239"]
    assert parsed.problems[0].line == 2 and "UTF-8" in parsed.problems[0].message


def test_pending_ids_are_fetched_by_the_job(settings, user) -> None:
    _import(settings, user, "zotero.bib", collection="Later")
    with arxiv_replay({"2511.09999": "Fetched Later from arXiv"}) as (url, seen):
        settings.arxiv_api_url = url
        with db.session_scope(settings) as s:
            result = fetch_pending(s, settings, user)
    assert result.saved == 1 and "2511.09999" in seen
    with db.session_scope(settings) as s:
        assert pending_imports(s, user) == []
        items, _ = library_page(s, user, LibraryFilter())
        fetched = next(i for i in items if i.paper.id == "2511.09999")
        assert fetched.collections == [("later", "Later")]


def test_pending_ids_stay_pending_offline(settings, user) -> None:
    _import(settings, user, "zotero.bib")
    settings.arxiv_api_url = "http://127.0.0.1:9/api/query"  # nothing listens on the discard port
    settings.http_max_retries = 0
    with db.session_scope(settings) as s:
        result = fetch_pending(s, settings, user)
    assert result.saved == 0 and result.error
    with db.session_scope(settings) as s:
        [row] = pending_imports(s, user)
        assert "could not be reached" in row.reason and row.attempts == 1


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_export_round_trips_to_the_same_library(settings, user, fmt: str) -> None:
    note = "Read *twice*: 50% of {it} costs $5 & more -- see a_b\n\nsecond ^ paragraph ~ \\o/"
    with db.session_scope(settings) as s:
        saves.save_paper(s, user, "1706.03762", tags=["nlp", "C++ & co"], note=note)
        saves.save_paper(s, user, "2006.11239", tags=["diffusion"])
        items, _ = library_page(s, user, LibraryFilter())
    text = export([ExportItem(i.paper, i.tags, i.note) for i in items], fmt)
    other = make_user(settings, "second")[0]
    _import(
        settings,
        other,
        f"x.{ {'bibtex': 'bib', 'ris': 'ris', 'csl-json': 'json'}[fmt] }",
        text.encode(),
    )
    with db.session_scope(settings) as s:
        mine = {i.paper.id: (i.tags, i.note) for i in library_page(s, user, LibraryFilter())[0]}
        theirs = {i.paper.id: (i.tags, i.note) for i in library_page(s, other, LibraryFilter())[0]}
    assert theirs == mine


def test_bibtex_looks_like_arxivs_own() -> None:
    from dailypapers.store.queries.papers import PaperView

    def paper(pid: str, title: str) -> PaperView:
        return PaperView(pid, pid, title, "", ["Ashish Vaswani", "Noam Shazeer"], 2, ["cs.CL"],
                         dt.date(2017, 6, 12), None, 0, 0, None, None, None, None, None, 0.0,
                         None)  # fmt: skip

    a, b = paper("1706.03762", "Attention Is All You Need"), paper("1706.99999", "Attention, Again")
    assert bibtex_keys([b, a]) == {"1706.03762": "vaswani2017attention",
                                   "1706.99999": "vaswani2017attentiona"}  # fmt: skip
    text = export([ExportItem(a)], "bibtex", private=False)
    for line in ("@misc{vaswani2017attention,", "eprint = {1706.03762}",
                 "archivePrefix = {arXiv}", "primaryClass = {cs.CL}",
                 "url = {https://arxiv.org/abs/1706.03762}"):  # fmt: skip
        assert line in text
    assert plain_citation(a).startswith("A. Vaswani, N. Shazeer (2017). Attention Is All You Need.")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200))
@hsettings(max_examples=300, deadline=None)
def test_free_text_latex_round_trip(text: str) -> None:
    assert decode(encode_free_text(text)) == text
