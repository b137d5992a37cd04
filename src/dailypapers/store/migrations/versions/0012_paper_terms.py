"""paper terms: hashed term counts stored with each paper, like its vectors

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

The "For you" ranker's lexical features of a paper depend on its text only; stored once
(``foryou.terms``), they are no longer hashed again by every process that ranks. Papers stored
before this revision get theirs from ``dailypapers index rebuild`` or the worker's periodic
``index.backfill``; until then the ranker hashes them as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "paper_terms",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("text_key", sa.String(length=16), nullable=False),
        sa.Column("terms", sa.LargeBinary(), nullable=False),
        sa.Column("counts", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.create_index("ix_paper_terms_updated_at", "paper_terms", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_paper_terms_updated_at", table_name="paper_terms")
    op.drop_table("paper_terms")
