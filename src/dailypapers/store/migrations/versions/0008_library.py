"""library: saves, collections, tags, notes, read state, follows, pending imports

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03

Tables of ``store/models_library.py``. Every per-user table is keyed ``(user_id, paper_id)``
so list pages ask "which of these papers are saved / read" with one index range scan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = "users.id"
_PAPERS = "papers.id"


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], [_USERS], ondelete="CASCADE")


def _paper_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["paper_id"], [_PAPERS], ondelete="CASCADE")


def _saved_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id", "paper_id"],
        ["saved_papers.user_id", "saved_papers.paper_id"],
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "saved_papers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_format", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _user_fk(),
        _paper_fk(),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_index("ix_saved_papers_user_saved", "saved_papers", ["user_id", "saved_at"])
    op.create_index("ix_saved_papers_paper_id", "saved_papers", ["paper_id"])

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("share_slug", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "slug"),
        sa.UniqueConstraint("share_slug"),
    )
    op.create_index("ix_collections_user_id", "collections", ["user_id"])

    op.create_table(
        "collection_papers",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"], ondelete="CASCADE"),
        _saved_fk(),
        sa.PrimaryKeyConstraint("collection_id", "paper_id"),
    )
    op.create_index("ix_collection_papers_user_paper", "collection_papers", ["user_id", "paper_id"])

    op.create_table(
        "paper_tags",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        _saved_fk(),
        sa.PrimaryKeyConstraint("user_id", "paper_id", "tag"),
    )
    op.create_index("ix_paper_tags_user_tag", "paper_tags", ["user_id", "tag"])

    op.create_table(
        "read_marks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        _user_fk(),
        _paper_fk(),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_index("ix_read_marks_paper_id", "read_marks", ["paper_id"])
    op.create_index("ix_read_marks_user_read", "read_marks", ["user_id", "read_at"])

    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", "key"),
    )
    op.create_index("ix_follows_user_id", "follows", ["user_id"])

    op.create_table(
        "library_prefs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("auto_read", sa.Boolean(), nullable=False),
        sa.Column("hide_read", sa.Boolean(), nullable=False),
        sa.Column("public_upvotes", sa.Boolean(), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id"),
    )

    op.create_table(
        "pending_imports",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=32), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("user_id", "arxiv_id"),
    )

    op.create_table(
        "paper_dois",
        sa.Column("doi", sa.String(length=255), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        _paper_fk(),
        sa.PrimaryKeyConstraint("doi"),
    )
    op.create_index("ix_paper_dois_paper_id", "paper_dois", ["paper_id"])

    op.create_table(
        "subscription_links",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("subscription_id"),
    )


def downgrade() -> None:
    for table in (
        "subscription_links",
        "paper_dois",
        "pending_imports",
        "library_prefs",
        "follows",
        "read_marks",
        "paper_tags",
        "collection_papers",
        "collections",
        "saved_papers",
    ):
        op.drop_table(table)
