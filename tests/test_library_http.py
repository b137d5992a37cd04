"""The library over HTTP: the JSON API with Bearer tokens, the pages and their no-JavaScript
forms, cite exports, query counts of list pages, and account deletion leaving nothing behind."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import String, Text, select, text

from dailypapers.store import db
from dailypapers.store.models import Base, Paper, User
from tests.community_fixtures import add_paper, bearer, make_user
from tests.library_fixtures import FIXTURES, add_known_papers
from tests.querylog import recorded_statements
from tests.test_community_pages import csrf, signup

DAY = dt.date(2025, 3, 18)


def test_api_save_patch_list_unsave(settings, client) -> None:
    add_known_papers(settings)
    _, token = make_user(settings, "ada")
    h = bearer(token)
    created = client.post(
        "/api/me/library",
        headers=h,
        json={
            "paper_id": "https://arxiv.org/abs/1706.03762v5",
            "collection": "Thesis",
            "tags": ["nlp"],
            "note": "# Key idea\n<script>x</script>",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["collections"] == ["thesis"]
    assert "<script>" not in created.json()["noteHtml"]
    patched = client.patch(
        "/api/me/library/1706.03762",
        headers=h,
        json={"tags": ["a", "b"], "add_to": ["Reading list"]},
    )
    assert patched.json()["tags"] == ["a", "b"]
    assert sorted(patched.json()["collections"]) == ["reading-list", "thesis"]
    listing = client.get("/api/me/library?collection=thesis&tag=A", headers=h).json()
    assert listing["total"] == 1 and listing["items"][0]["paperId"] == "1706.03762"
    assert client.post("/api/me/read/1706.03762", headers=h).json()["read"] is True
    assert client.get("/api/me/library?read=unread", headers=h).json()["total"] == 0
    assert client.delete("/api/me/library/1706.03762", headers=h).json()["removed"] is True
    assert client.get("/api/me/library", headers=h).json()["total"] == 0
    missing = client.post("/api/me/library", headers=h, json={"paper_id": "2999.99999"})
    assert missing.status_code == 404 and "No paper" in missing.json()["error"]
    assert client.get("/api/me/library").status_code == 401


def test_api_collections_and_follows(settings, client) -> None:
    add_known_papers(settings)
    _, token = make_user(settings, "bob")
    h = bearer(token)
    made = client.post("/api/me/collections", headers=h, json={"name": "Diffusion",
                                                               "public": True})  # fmt: skip
    assert made.status_code == 201 and made.json()["url"].startswith(
        "http://testserver/collections/"
    )
    client.post("/api/me/library", headers=h, json={"paper_id": "2006.11239",
                                                    "collection": "Diffusion"})  # fmt: skip
    names = [c["name"] for c in client.get("/api/me/collections", headers=h).json()]
    assert names == ["Reading list", "Diffusion"]
    public = client.get(made.json()["url"].removeprefix("http://testserver"))
    assert public.status_code == 200 and "Denoising Diffusion" in public.text
    feed = client.get(made.json()["feed"].removeprefix("http://testserver"))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert client.patch("/api/me/collections/diffusion", headers=h,
                        json={"public": False}).json()["url"] is None  # fmt: skip
    assert client.get(made.json()["url"].removeprefix("http://testserver")).status_code == 404
    assert client.delete("/api/me/collections/reading-list", headers=h).status_code == 403

    f = client.post("/api/me/follows", headers=h, json={"kind": "author", "value": "Jonathan Ho"})
    assert f.status_code == 201 and f.json()["topic"] == "author:Jonathan Ho"
    bad = client.post("/api/me/follows", headers=h, json={"kind": "planet", "value": "x"})
    assert bad.status_code == 422
    assert [x["value"] for x in client.get("/api/me/follows", headers=h).json()] == ["Jonathan Ho"]
    gone = client.request("DELETE", "/api/me/follows", headers=h,
                          json={"kind": "author", "value": "jonathan ho"})  # fmt: skip
    assert gone.json()["removed"] is True


def test_api_import_preview_then_apply(settings, client) -> None:
    add_known_papers(settings)
    _, token = make_user(settings, "cyd")
    h = bearer(token)
    files = {"file": ("zotero.bib", (FIXTURES / "zotero.bib").read_bytes())}
    preview = client.post("/api/me/library/import", headers=h, files=files,
                          data={"dry_run": "true"}).json()  # fmt: skip
    assert preview["applied"] is False and preview["counts"]["matched"] == 1
    assert client.get("/api/me/library", headers=h).json()["total"] == 0
    done = client.post("/api/me/library/import", headers=h, files=files).json()
    assert done["applied"] and done["counts"]["pending"] == 1
    again = client.post("/api/me/library/import", headers=h, files=files).json()
    assert again["counts"]["matched"] == 0 and again["counts"]["already"] == 1
    big = client.post(
        "/api/me/library/import",
        headers=h,
        files={"file": ("x.bib", b"%" * (settings.library_import_max_bytes + 1))},
    )
    assert big.status_code == 413 and "at most" in big.json()["error"]


def test_cite_exports(settings, client) -> None:
    add_known_papers(settings)
    bib = client.get("/papers/1706.03762.bib")
    assert bib.status_code == 200 and "eprint = {1706.03762}" in bib.text
    assert "TY  - UNPB" in client.get("/papers/1706.03762v2.ris").text
    assert client.get("/papers/2999.99999.bib").status_code == 404
    page = client.get("/papers/1706.03762").text
    assert 'href="/papers/1706.03762.bib"' in page and "A. Vaswani, N. Shazeer (2020)." in page


def test_forms_work_without_javascript(settings, client) -> None:
    add_known_papers(settings)
    signup(client, "dora")
    token = csrf(client, "/library")
    back = client.post("/library/save", data={"paper_id": "2006.11239", "csrf_token": token,
                       "next": "/date/2025-03-18?sort=top"}, follow_redirects=False)  # fmt: skip
    assert back.status_code == 303
    assert back.headers["location"] == "/date/2025-03-18?sort=top#paper-2006.11239"
    page = client.get("/date/2025-03-18").text
    assert page.count('class="chip save-button is-on"') == 1
    client.post("/library/read", data={"paper_id": "2006.11239", "read": "1",
                                       "csrf_token": token})  # fmt: skip
    client.post("/library/hide-read", data={"hide": "1", "csrf_token": token})
    page = client.get("/date/2025-03-18").text
    assert "paper-item is-read" in page and 'data-hidden="true"' in page
    client.post("/library/edit", data={"paper_id": "2006.11239", "tags": "gen, diffusion",
                "note": "**good**", "csrf_token": token})  # fmt: skip
    lib = client.get("/library").text
    assert "<strong>good</strong>" in lib and "#diffusion" in lib
    client.post("/following", data={"kind": "search", "value": "diffusion", "csrf_token": token})
    assert "diffusion" in client.get("/following").text
    assert client.post("/library/save", data={"paper_id": "2006.11239"}).status_code == 403


def test_list_page_costs_at_most_two_more_queries(settings, client) -> None:
    for i in range(40):
        add_paper(settings, f"2508.{i:05d}", feed_date=DAY)
    engine = db.get_engine(settings)

    def count(path: str) -> int:
        with recorded_statements(engine) as seen:
            assert client.get(path).status_code == 200
        return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])

    anonymous = count("/date/2025-03-18")
    signup(client, "erin")
    token = csrf(client, "/library")
    for i in range(0, 40, 3):
        client.post("/library/save", data={"paper_id": f"2508.{i:05d}", "csrf_token": token})
        client.post("/library/read", data={"paper_id": f"2508.{i + 1:05d}", "csrf_token": token})
    signed_in = count("/date/2025-03-18")
    assert signed_in <= anonymous + 2, (anonymous, signed_in)


def _rows_naming(settings, user_id: int, names: tuple[str, ...]) -> list[str]:
    """Every row of every table that references the user by id (foreign key) or by name/email."""
    found = []
    with db.session_scope(settings) as s:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table.name == "users":
                    n = s.execute(select(text("1")).select_from(table)
                                  .where(fk.parent == user_id)).first()  # fmt: skip
                    if n:
                        found.append(f"{table.name}.{fk.parent.name}")
            for column in table.columns:
                if isinstance(column.type, String | Text) and column.name != "title":
                    for name in names:
                        hit = s.execute(select(text("1")).select_from(table).where(
                            column.like(f"%{name}%"))).first()  # fmt: skip
                        if hit:
                            found.append(f"{table.name}.{column.name} has {name}")
    return found


def test_account_deletion_leaves_nothing(settings, client) -> None:
    add_known_papers(settings)
    uid, token = make_user(settings, "zed-gone")
    _, other = make_user(settings, "yael")
    h, ho = bearer(token), bearer(other)
    for pid in ("1706.03762", "2006.11239"):
        assert client.post(f"/api/papers/{pid}/upvote", headers=h).status_code == 200
    client.post("/api/papers/1706.03762/upvote", headers=ho)
    client.post("/api/papers/1706.03762/comments", headers=h, json={"text": "zed-gone was here"})
    client.post(
        "/api/me/library",
        headers=h,
        json={"paper_id": "1706.03762", "note": "mine", "tags": ["zed-tag"], "collection": "Z"},
    )
    client.post("/api/me/read/1706.03762", headers=h)
    client.post("/api/me/follows", headers=h, json={"kind": "author", "value": "Ashish Vaswani"})
    client.post("/api/me/library", headers=ho, json={"paper_id": "2006.11239", "tags": ["y"]})
    with db.session_scope(settings) as s:
        from dailypapers.store.models import Subscription

        s.add(Subscription(email="zed-gone@example.org", status="confirmed", topics=["x"]))
    mine = client.get("/api/me/export", headers=h).json()
    assert mine["library"][0]["note"] == "mine" and len(mine["votes"]) == 2
    assert mine["comments"][0]["text"] == "zed-gone was here" and mine["tokens"][0]["name"]
    before = client.get("/api/me/export", headers=ho).json()
    refused = client.request("DELETE", "/api/me", headers=h, json={"confirm": "someone"})
    assert refused.status_code == 400
    done = client.request("DELETE", "/api/me", headers=h, json={"confirm": "zed-gone"})
    assert done.status_code == 200 and done.json()["votesWithdrawn"] == 2
    with db.session_scope(settings) as s:
        counts = {p.id: (p.upvotes, p.num_comments) for p in s.scalars(select(Paper))}
        assert s.get(User, uid) is None
    assert counts["1706.03762"] == (1, 0) and counts["2006.11239"] == (0, 0)
    assert _rows_naming(settings, uid, ("zed-gone", "zed-tag")) == []
    after = client.get("/api/me/export", headers=ho).json()
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert client.get("/api/me/library", headers=h).status_code == 401


def test_profile_shows_public_things_only(settings, client) -> None:
    add_known_papers(settings)
    _, token = make_user(settings, "fay")
    h = bearer(token)
    client.post("/api/me/collections", headers=h, json={"name": "Open list", "public": True})
    client.post("/api/me/collections", headers=h, json={"name": "Secret list"})
    client.post("/api/papers/2006.11239/upvote", headers=h)
    page = client.get("/users/fay").text
    assert "Open list" in page and "Secret list" not in page and "Upvoted" not in page
    assert client.get("/users/nobody-here").status_code == 404
    assert re.search(r"Member since", page)


def test_opening_a_paper_or_its_pdf_marks_it_read_unless_switched_off(settings, client) -> None:
    add_known_papers(settings)
    _, token = make_user(settings, "gale")
    h = bearer(token)
    client.get("/papers/1706.03762", headers=h)
    pdf = client.get("/papers/2006.11239/pdf", headers=h, follow_redirects=False)
    assert pdf.status_code == 302 and pdf.headers["location"].startswith("https://arxiv.org/pdf/")
    export = client.get("/api/me/export", headers=h).json()
    assert {(r["paperId"], r["source"]) for r in export["read"]} == {
        ("1706.03762", "page"),
        ("2006.11239", "pdf"),
    }
    from dailypapers.community.users import find_user
    from dailypapers.library.reads import set_prefs

    with db.session_scope(settings) as s:
        user = find_user(s, "gale")
        assert user is not None
        set_prefs(s, user.id, auto_read=False)
    client.get("/papers/2207.12598", headers=h)
    assert len(client.get("/api/me/export", headers=h).json()["read"]) == 2
