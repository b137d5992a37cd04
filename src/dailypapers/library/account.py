"""A user's own data: download everything, delete the account, change the email address,
link the digest subscription of the account's address.

Deleting an account removes every row that names the user: library, notes, tags, collections,
read marks, follows, tokens, claims, votes, comments, "For you" marks, rules and feed link
(and the process's memoised "For you" model), the digest subscription of the user's address,
rate-limit counters; feed entries the user submitted keep the paper in the feed but
lose the submitter's id and name. Vote and comment counts (and so trending scores) of the
papers the user touched are moved back in the same transaction, so nothing of the account is
left in them. Comments are deleted, not anonymised: a comment is personal text, and an
"anonymous" comment usually still identifies its author by what it says.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dailypapers.community.users import EMAIL
from dailypapers.config import Settings
from dailypapers.digest.topics import MAX_TOPICS, TopicError, clean_topics
from dailypapers.errors import Conflict, Invalid, NotFound
from dailypapers.foryou.memo import forget as forget_for_you
from dailypapers.library.follows import list_follows, topic_line
from dailypapers.library.reads import get_prefs
from dailypapers.store.models import (
    ApiToken,
    AuthorshipClaim,
    Comment,
    FeedEntry,
    RateLimitHit,
    Subscription,
    Upvote,
    User,
)
from dailypapers.store.models_foryou import FeedToken, ForYouRule, NotInterested
from dailypapers.store.models_library import (
    Collection,
    CollectionPaper,
    Follow,
    PaperTag,
    PendingImport,
    ReadMark,
    SavedPaper,
    SubscriptionLink,
)
from dailypapers.store.queries.library import all_saved_ids, library_items
from dailypapers.store.trending import move_counts

EMAIL_CHANGE_MAX_AGE = 2 * 86400
LINK_MAX_AGE = 2 * 86400


# --- deletion ------------------------------------------------------------------------------------
def delete_account(session: Session, settings: Settings, user_id: int) -> dict[str, int]:
    """Delete the user and everything that names them; returns counts of what went.

    Run it inside the caller's write transaction (``db.writing`` or ``session_scope``)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    email, counts = user.email, Counter[str]()
    for paper_id in session.scalars(select(Upvote.paper_id).where(Upvote.user_id == user_id)):
        move_counts(session, settings, paper_id, votes=-1)
        counts["votes"] += 1
    live = session.execute(
        select(Comment.paper_id, func.count())
        .where(Comment.user_id == user_id, Comment.deleted_at.is_(None))
        .group_by(Comment.paper_id)
    ).all()
    for paper_id, n in live:
        move_counts(session, settings, paper_id, comments=-int(n))
        counts["comments"] += int(n)
    _delete_rows(session, user_id, email)
    session.execute(delete(User).where(User.id == user_id))
    forget_for_you(user_id)  # the memoised "For you" model and rankings go with the account
    return dict(counts)


def _delete_rows(session: Session, user_id: int, email: str) -> None:
    linked = select(SubscriptionLink.subscription_id).where(SubscriptionLink.user_id == user_id)
    session.execute(
        delete(Subscription).where((Subscription.email == email) | Subscription.id.in_(linked))
    )
    for table in (
        CollectionPaper,
        PaperTag,
        SavedPaper,
        PendingImport,
        Collection,
        ReadMark,
        Follow,
        Upvote,
        Comment,
        ApiToken,
        AuthorshipClaim,
        SubscriptionLink,
        NotInterested,
        ForYouRule,
        FeedToken,
    ):
        session.execute(delete(table).where(table.user_id == user_id))
    session.execute(
        update(FeedEntry)
        .where(FeedEntry.submitted_by_id == user_id)
        .values(submitted_by_id=None, submitter_name=None)
    )
    session.execute(delete(RateLimitHit).where(RateLimitHit.key.like(f"%:u:{user_id}")))


# --- download ------------------------------------------------------------------------------------
def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() + ("Z" if isinstance(value, dt.datetime) else "")


def export_personal_data(session: Session, user_id: int) -> dict[str, Any]:
    """Everything the service holds about the user, as one JSON-ready dict."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    prefs = get_prefs(session, user_id)
    return {
        "account": {
            "name": user.username,
            "email": user.email,
            "isAdmin": user.is_admin,
            "createdAt": _iso(user.created_at),
        },
        "settings": {
            "autoMarkRead": prefs.auto_read,
            "hideRead": prefs.hide_read,
            "publicUpvotes": prefs.public_upvotes,
        },
        "library": _library(session, user_id),
        "collections": _collections(session, user_id),
        "read": [
            {"paperId": p, "readAt": _iso(t), "source": s}
            for p, t, s in session.execute(
                select(ReadMark.paper_id, ReadMark.read_at, ReadMark.source)
                .where(ReadMark.user_id == user_id)
                .order_by(ReadMark.read_at)
            )
        ],
        "follows": [
            {"kind": f.kind, "value": f.value, "createdAt": _iso(f.created_at)}
            for f in session.scalars(
                select(Follow).where(Follow.user_id == user_id).order_by(Follow.id)
            )
        ],
        "votes": [
            {"paperId": p, "createdAt": _iso(t)}
            for p, t in session.execute(
                select(Upvote.paper_id, Upvote.created_at)
                .where(Upvote.user_id == user_id)
                .order_by(Upvote.created_at)
            )
        ],
        "comments": [
            {
                "id": c.id,
                "paperId": c.paper_id,
                "text": c.text,
                "createdAt": _iso(c.created_at),
                "editedAt": _iso(c.edited_at),
                "deletedAt": _iso(c.deleted_at),
            }
            for c in session.scalars(
                select(Comment).where(Comment.user_id == user_id).order_by(Comment.id)
            )
        ],
        "submissions": [
            {"paperId": p, "feedDate": _iso(d)}
            for p, d in session.execute(
                select(FeedEntry.paper_id, FeedEntry.feed_date)
                .where(FeedEntry.submitted_by_id == user_id)
                .order_by(FeedEntry.feed_date)
            )
        ],
        "claims": [
            {"paperId": c.paper_id, "status": c.status, "createdAt": _iso(c.created_at)}
            for c in session.scalars(
                select(AuthorshipClaim).where(AuthorshipClaim.user_id == user_id)
            )
        ],
        "subscriptions": _subscriptions(session, user),
        "tokens": [
            {
                "name": t.name,
                "createdAt": _iso(t.created_at),
                "lastUsedAt": _iso(t.last_used_at),
                "revoked": t.revoked_at is not None,
            }
            for t in session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
            )
        ],
        "pendingImports": [
            {"arxivId": p.arxiv_id, "title": p.title, "reason": p.reason}
            for p in session.scalars(select(PendingImport).where(PendingImport.user_id == user_id))
        ],
        "forYou": _for_you(session, user_id),
    }


def _for_you(session: Session, user_id: int) -> dict[str, Any]:
    """ "For you" data: "not interested" marks, rules, and whether a private feed link exists
    (never the token: only its hash is stored, and a hash is a secret too)."""
    token = session.get(FeedToken, user_id)
    return {
        "notInterested": [
            {"paperId": p, "createdAt": _iso(t)}
            for p, t in session.execute(
                select(NotInterested.paper_id, NotInterested.created_at)
                .where(NotInterested.user_id == user_id)
                .order_by(NotInterested.created_at, NotInterested.paper_id)
            )
        ],
        "rules": [
            {"action": r.action, "query": r.query, "createdAt": _iso(r.created_at)}
            for r in session.scalars(
                select(ForYouRule).where(ForYouRule.user_id == user_id).order_by(ForYouRule.id)
            )
        ],
        "feedLink": {
            "exists": token is not None,
            "createdAt": _iso(token.created_at) if token else None,
        },
    }


def _library(session: Session, user_id: int) -> list[dict[str, Any]]:
    ids = all_saved_ids(session, user_id)
    out = []
    for start in range(0, len(ids), 500):
        for it in library_items(session, user_id, ids[start : start + 500]):
            out.append(
                {
                    "paperId": it.item.paper.id,
                    "title": it.item.paper.title,
                    "savedAt": _iso(it.saved_at),
                    "note": it.note,
                    "noteFormat": it.note_format,
                    "tags": it.tags,
                    "collections": [name for _, name in it.collections],
                    "read": it.read,
                }
            )
    return out


def _collections(session: Session, user_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Collection).where(Collection.user_id == user_id).order_by(Collection.id)
    )
    return [
        {
            "name": c.name,
            "slug": c.slug,
            "default": c.is_default,
            "public": c.is_public,
            "description": c.description,
            "createdAt": _iso(c.created_at),
            "papers": all_saved_ids(session, user_id, c.id),
        }
        for c in rows
    ]


def _subscriptions(session: Session, user: User) -> list[dict[str, Any]]:
    linked = select(SubscriptionLink.subscription_id).where(SubscriptionLink.user_id == user.id)
    rows = session.scalars(
        select(Subscription).where((Subscription.email == user.email) | Subscription.id.in_(linked))
    )
    return [
        {
            "email": s.email,
            "frequency": s.frequency,
            "topics": s.topics,
            "status": s.status,
            "createdAt": _iso(s.created_at),
            "linked": s.id in set(session.scalars(linked)),
        }
        for s in rows
    ]


# --- email change and subscription link (signed links mailed to the address) -------------------
def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=f"dailypapers.{salt}")


def clean_email(text: object) -> str:
    email = text.strip().lower() if isinstance(text, str) else ""
    if len(email) > 254 or not EMAIL.match(email):
        raise Invalid("Please give a valid email address.")
    return email


def email_change_token(session: Session, settings: Settings, user_id: int, new: object) -> str:
    """A signed token for the confirmation link mailed to the new address."""
    email = clean_email(new)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if email == user.email:
        raise Invalid("That is already your address.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("Another account uses that address.")
    return _serializer(settings, "email-change").dumps(
        {"uid": user_id, "new": email, "old": user.email}
    )


def _load(settings: Settings, salt: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        data = _serializer(settings, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Invalid("This link has expired; ask for a new one on the settings page.") from None
    except BadSignature:
        raise Invalid("This link is not valid.") from None
    if not isinstance(data, dict):
        raise Invalid("This link is not valid.")
    return data


def confirm_email_change(session: Session, settings: Settings, token: str) -> User:
    """Apply a confirmed email change; ``Invalid`` when the link is expired, used or forged."""
    data = _load(settings, "email-change", token, EMAIL_CHANGE_MAX_AGE)
    user = session.get(User, data.get("uid"))
    if user is None or user.email != data.get("old"):
        raise Invalid("This link has already been used.")
    if session.scalar(select(User.id).where(User.email == data["new"])) is not None:
        raise Conflict("Another account uses that address now.")
    user.email = str(data["new"])
    return user


def link_token(settings: Settings, user_id: int, email: str) -> str:
    """A signed token proving the account's address, to link its digest subscription."""
    return _serializer(settings, "subscription-link").dumps({"uid": user_id, "email": email})


def confirm_link(session: Session, settings: Settings, token: str, user_id: int) -> Subscription:
    """Link the account to the digest subscription of its address."""
    data = _load(settings, "subscription-link", token, LINK_MAX_AGE)
    user = session.get(User, user_id)
    if user is None or data.get("uid") != user_id or user.email != data.get("email"):
        raise Invalid("This link belongs to another account or an old address.")
    sub = session.scalar(select(Subscription).where(Subscription.email == user.email))
    if sub is None or sub.status != "confirmed":
        raise NotFound(f"{user.email} has no confirmed digest subscription; subscribe first.")
    session.execute(delete(SubscriptionLink).where(SubscriptionLink.user_id == user_id))
    session.add(SubscriptionLink(user_id=user_id, subscription_id=sub.id))
    session.flush()
    return sub


def linked_subscription(session: Session, user_id: int) -> Subscription | None:
    """The digest subscription linked to the account, if any."""
    return session.scalar(
        select(Subscription)
        .join(SubscriptionLink, SubscriptionLink.subscription_id == Subscription.id)
        .where(SubscriptionLink.user_id == user_id)
    )


def follows_as_digest_topics(session: Session, user_id: int) -> list[str]:
    """Make the linked digest subscription follow what the account follows (its first ten
    follows, the digest's limit); returns the topic lines. ``NotFound`` when not linked."""
    sub = linked_subscription(session, user_id)
    if sub is None:
        raise NotFound("Link your digest subscription first (Your data → Digest).")
    lines = [topic_line(f.kind, f.value) for f in list_follows(session, user_id)]
    try:
        topics = clean_topics([line for line in lines if len(line) <= 120][:MAX_TOPICS])
    except TopicError as exc:
        raise Invalid(str(exc)) from None
    sub.topics = topics
    return topics
