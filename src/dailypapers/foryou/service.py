"""Writes of "For you": "not interested" marks, keyword rules and the private feed token.

Services never commit: the route, command or job that calls them owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dailypapers.errors import Invalid, NotFound
from dailypapers.foryou.memo import forget
from dailypapers.foryou.rules import compile_rule
from dailypapers.foryou.signals import RULE_ACTIONS
from dailypapers.search import QueryError
from dailypapers.store.models import Paper
from dailypapers.store.models_foryou import FeedToken, ForYouRule, NotInterested
from dailypapers.store.queries import foryou as q
from dailypapers.store.queries.papers import require_paper_id

MAX_RULES = 50


def _paper(session: Session, raw_id: str) -> str:
    paper_id = require_paper_id(raw_id)
    if session.get(Paper, paper_id) is None:
        raise NotFound(f"No paper with id {raw_id!r}.")
    return paper_id


def mark_not_interested(session: Session, user_id: int, raw_id: str) -> str:
    """Hide a paper from the user's lists and learn from it; idempotent. Returns its id."""
    paper_id = _paper(session, raw_id)
    if session.get(NotInterested, (user_id, paper_id)) is None:
        session.add(NotInterested(user_id=user_id, paper_id=paper_id))
        session.flush()
    return paper_id


def unmark_not_interested(session: Session, user_id: int, raw_id: str) -> bool:
    """Forget a "not interested" mark; False when there was none."""
    paper_id = require_paper_id(raw_id)
    gone = session.execute(
        delete(NotInterested).where(
            NotInterested.user_id == user_id, NotInterested.paper_id == paper_id
        )
    )
    removed = bool(getattr(gone, "rowcount", 0))
    if removed:
        forget(user_id)  # a removed signal: drop the user's memoised model and rankings
    return removed


def add_rule(session: Session, user_id: int, action: str, query: str) -> ForYouRule:
    """Add an "always" or "never" rule; the query must parse in the /search language."""
    if action not in RULE_ACTIONS:
        raise Invalid("A rule is either 'always' or 'never'.")
    text = " ".join((query or "").split())
    try:
        parsed = compile_rule(text)
    except QueryError as exc:
        raise Invalid(f"The rule cannot be read: {exc}.") from None
    if not (parsed.has_text or parsed.has_filters or parsed.excluded):
        raise Invalid('Write what the rule matches, e.g. diffusion policy or author:"Jane Doe".')
    count = session.scalar(select(func.count()).where(ForYouRule.user_id == user_id)) or 0
    if count >= MAX_RULES:
        raise Invalid(f"You have {MAX_RULES} rules already; delete one first.")
    for rule in q.rules_of(session, user_id):
        if rule.action == action and rule.query == text:
            return rule
    rule = ForYouRule(user_id=user_id, action=action, query=text)
    session.add(rule)
    session.flush()
    return rule


def delete_rule(session: Session, user_id: int, rule_id: int) -> None:
    """Delete one of the user's rules (NotFound for another user's)."""
    rule = session.get(ForYouRule, rule_id)
    if rule is None or rule.user_id != user_id:
        raise NotFound("No such rule.")
    session.delete(rule)
    session.flush()
    forget(user_id)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(session: Session, user_id: int) -> str:
    """A fresh private feed token (the previous one stops working). Shown once."""
    token = "fy_" + secrets.token_urlsafe(24)
    row = session.get(FeedToken, user_id)
    if row is None:
        session.add(FeedToken(user_id=user_id, token_hash=token_hash(token)))
    else:
        row.token_hash = token_hash(token)
    session.flush()
    return token


def revoke_feed_token(session: Session, user_id: int) -> None:
    """Turn the private feed off."""
    session.execute(delete(FeedToken).where(FeedToken.user_id == user_id))


def feed_token_user(session: Session, token: str | None) -> int:
    """The user of a private feed token; NotFound for an unknown or revoked one."""
    owner = q.feed_token_owner(session, token_hash(token)) if token else None
    if owner is None:
        raise NotFound("This feed link is unknown or was revoked; make a new one on /for-you.")
    return owner
