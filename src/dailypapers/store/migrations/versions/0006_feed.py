"""feed: a data-version sequence on PostgreSQL for API response caches

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-22

``feed.bump_data_version`` advances this sequence (no row lock, so concurrent writers never
wait on each other); ``feed.data_version`` reads it. SQLite keeps the counter in ``meta``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS dailypapers_data_version")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS dailypapers_data_version")
