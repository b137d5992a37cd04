"""for you: not-interested marks, keyword rules, private feed tokens

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Tables of ``store/models_foryou.py``; each row cascades away with its user.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "not_interested",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_index("ix_not_interested_user_at", "not_interested", ["user_id", "created_at"])
    op.create_index("ix_not_interested_paper_id", "not_interested", ["paper_id"])
    op.create_table(
        "foryou_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "action", "query"),
    )
    op.create_index("ix_foryou_rules_user_id", "foryou_rules", ["user_id"])
    op.create_table(
        "foryou_feed_tokens",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("foryou_feed_tokens")
    op.drop_index("ix_foryou_rules_user_id", table_name="foryou_rules")
    op.drop_table("foryou_rules")
    op.drop_index("ix_not_interested_paper_id", table_name="not_interested")
    op.drop_index("ix_not_interested_user_at", table_name="not_interested")
    op.drop_table("not_interested")
