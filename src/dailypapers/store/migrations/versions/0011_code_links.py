"""code links: fill code and project fields from links written in abstracts and comments

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A data migration, run once over the papers stored before import and ingestion learnt to read
"Code: https://github.com/…" (``store.links.code_links``). Only empty fields are filled, and
changed papers get a new ``updated_at`` so that the search index picks up ``has:code``.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dailypapers.store.links import code_links

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("abstract", sa.Text),
    sa.column("comment", sa.Text),
    sa.column("github_repo", sa.String),
    sa.column("project_page", sa.String),
    sa.column("updated_at", sa.DateTime),
)
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_papers.c.id, _papers.c.abstract, _papers.c.comment, _papers.c.github_repo,
                  _papers.c.project_page)
        .where(sa.or_(_papers.c.github_repo.is_(None), _papers.c.project_page.is_(None)))
    ).all()  # fmt: skip
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    changes = []
    for pid, abstract, comment, repo, project in rows:
        found_repo, found_project = code_links(abstract, comment)
        new_repo, new_project = repo or found_repo, project or found_project
        if (new_repo, new_project) != (repo, project):
            changes.append({"pid": pid, "repo": new_repo, "project": new_project, "now": now})
    stmt = (
        sa.update(_papers)
        .where(_papers.c.id == sa.bindparam("pid"))
        .values(github_repo=sa.bindparam("repo"), project_page=sa.bindparam("project"),
                updated_at=sa.bindparam("now"))
    )  # fmt: skip
    for start in range(0, len(changes), BATCH):
        bind.execute(stmt, changes[start : start + BATCH])


def downgrade() -> None:
    """Nothing to undo: the filled links are data, as if imported with them."""
