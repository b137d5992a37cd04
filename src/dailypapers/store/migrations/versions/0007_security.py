"""security: clean unsafe paper links; sign-up requests awaiting e-mail confirmation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Issue 14. Code, project and PDF links that fail the URL policy (``store.urls``: absolute
http(s) only) are set to NULL, so a ``javascript:`` link imported before the policy existed
never reaches a page, feed, mail or API answer. ``signup_requests`` holds sign-ups until the
signed link mailed to the address is followed; only then is the account created.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dailypapers.store.urls import clean_url

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINKS = ("github_repo", "project_page", "pdf_url")
_BATCH = 5000


def _clean_links() -> int:
    """Set every link that fails the policy to NULL (trimmed when only white space differs)."""
    bind = op.get_bind()
    columns = [sa.column(c, sa.String) for c in _LINKS]
    papers = sa.table("papers", sa.column("id", sa.String), *columns)
    query = sa.select(papers).where(sa.or_(*(papers.c[c].is_not(None) for c in _LINKS)))
    changes: list[dict] = []
    for row in bind.execute(query).mappings():
        values = {c: row[c] for c in _LINKS}
        cleaned = {c: clean_url(v) if v is not None else None for c, v in values.items()}
        if cleaned != values:
            changes.append({"pid": row["id"], **{f"v_{c}": cleaned[c] for c in _LINKS}})
    update = (
        papers.update()
        .where(papers.c.id == sa.bindparam("pid"))
        .values({c: sa.bindparam(f"v_{c}") for c in _LINKS})
    )
    for start in range(0, len(changes), _BATCH):
        bind.execute(update, changes[start : start + _BATCH])
    return len(changes)


def upgrade() -> None:
    _clean_links()
    op.create_table(
        "signup_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signup_requests_email", "signup_requests", ["email"])
    op.create_index("ix_signup_requests_created_at", "signup_requests", ["created_at"])


def downgrade() -> None:
    op.drop_table("signup_requests")
