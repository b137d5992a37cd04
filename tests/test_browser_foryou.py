"""In real headless Chromium: a new user imports a small BibTeX library, /for-you shows papers
with reasons, "not interested" removes one and changes the ranking, an "always" rule brings a
matching paper in, and the digest mail (real SMTP server) has a "For you" section with the
same top papers."""

from __future__ import annotations

from dailypapers.digest.send import send_digests
from dailypapers.store import db
from dailypapers.store.models import Subscription
from dailypapers.store.models_library import SubscriptionLink
from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.community_fixtures import confirmation_token
from tests.digest_fixtures import smtp_server_fixture, text_part  # noqa: F401
from tests.foryou_fixtures import store_world
from tests.test_foryou_api import IDS, LAST, PAPERS, VECS

pytestmark = MARKS
PASSWORD = "a long enough password"


def _css(pid: str) -> str:
    return "#paper-" + pid.replace(".", "\\.")


def _bibtex(rows: list[int]) -> str:
    return "\n".join(
        f"@misc{{p{r},\n  title = {{{PAPERS[r]['title']}}},\n  eprint = {{{IDS[r]}}},\n"
        f"  archivePrefix = {{arXiv}}\n}}\n"
        for r in rows
    )


def test_for_you_flow(settings, live_server, page, smtp_server, tmp_path) -> None:
    settings.smtp_port = smtp_server.port
    store_world(settings, PAPERS, VECS)
    page.goto(live_server + "/signup")
    form = page.locator("main form")
    form.get_by_label("User name").fill("ada")
    form.get_by_label("Email").fill("ada@example.org")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    token = confirmation_token(settings, "ada@example.org")  # the link mailed to ada
    page.goto(f"{live_server}/signup/confirm/{token}")
    page.get_by_role("button", name="Create my account").click()
    page.goto(live_server + "/for-you")
    assert "Tell us what you read" in page.inner_text("main")
    library = tmp_path / "mine.bib"
    library.write_text(_bibtex([0, 4, 8, 12]))  # robotics papers
    page.goto(live_server + "/library/import")
    page.get_by_label("File").set_input_files(str(library))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Import 4 papers").click()
    page.wait_for_url("**/library")

    page.goto(live_server + f"/for-you/day/{LAST}")
    titles = page.locator(".foryou-list .paper-title").all_inner_texts()
    assert titles and titles[0].startswith("Robots")
    assert "in your library" in page.locator(".foryou-reasons").first.inner_text()

    page.locator(".foryou-list > li").first.get_by_role("button", name="Not interested").click()
    page.wait_for_selector(".foryou-hidden")
    after = page.locator(".foryou-list .paper-title").all_inner_texts()
    assert titles[0] not in after and after != titles

    page.get_by_label("Papers matching").fill("molecules")
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_selector(".foryou-rules")
    top = page.locator(".foryou-list > li").first
    assert top.locator(".paper-title").inner_text().startswith("Graphs")
    assert "matches your rule “molecules”" in top.locator(".foryou-reasons").inner_text()
    shown = page.locator(".foryou-list .paper-title").all_inner_texts()[:3]

    with db.session_scope(settings) as session:  # a confirmed subscription, linked to ada
        from dailypapers.community.users import find_user

        user = find_user(session, "ada")
        sub = Subscription(email="ada@example.org", frequency="daily", status="confirmed")
        session.add(sub)
        session.flush()
        session.add(SubscriptionLink(user_id=user.id, subscription_id=sub.id))
    send_digests(settings, as_of=LAST, frequencies=("daily",))
    mails = smtp_server.wait_for(2)  # the sign-up confirmation, then the digest
    body = next(b for b in (text_part(m.message) for m in mails) if "For you" in b)
    section = body[body.index("For you") : body.index("Trending") if "Trending" in body else None]
    assert shown[0] in section and shown[1] in section
