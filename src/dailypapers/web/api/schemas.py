"""The Hugging Face papers API shapes: the serializers (``store.queries.hf``) and their schemas.

The serializers build plain dicts (fast, encoded with orjson); the pydantic models below
describe the same shapes for the OpenAPI docs at ``/docs``. Field names follow what the
``huggingface_hub`` client reads (``PaperInfo`` in ``hf_api.py``) and what
``huggingface.co/api/daily_papers`` returns: unknown values are left out rather than faked.
Two additions beyond Hugging Face's fields, ignored by its client: ``categories`` (arXiv
categories) and ``numAuthors`` (known even when the names are not).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dailypapers.store.queries.hf import (  # re-exported: the API's serializers live there
    daily_item_to_hf,
    iso_datetime,
    md_escape,
    paper_markdown,
    paper_to_hf,
)

__all__ = [
    "ApiError", "HfAuthor", "HfDailyPaper", "HfOrganization", "HfPaper", "HfUser",
    "daily_item_to_hf", "iso_datetime", "md_escape", "paper_markdown", "paper_to_hf",
]  # fmt: skip


# --- schemas for the OpenAPI docs --------------------------------------------------------------
class _Shape(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class HfUser(_Shape):
    """A submitter, as Hugging Face describes users (camelCase names are theirs)."""

    id: str = Field(alias="_id")
    user: str = Field(description="User name.")
    fullname: str
    avatarUrl: str
    type: str = "user"
    isPro: bool = False


class HfOrganization(_Shape):
    id: str = Field(alias="_id")
    name: str
    fullname: str
    avatarUrl: str


class HfAuthor(_Shape):
    id: str = Field(alias="_id")
    name: str
    hidden: bool = False


class HfPaper(_Shape):
    """``GET /api/papers/{id}`` and the ``paper`` of a daily item."""

    id: str = Field(description="arXiv id without version, or `t-…` for papers without one.")
    authors: list[HfAuthor]
    publishedAt: str = Field(description="Publication date (ISO 8601, UTC).")
    title: str
    summary: str = Field(description="The abstract.")
    upvotes: int
    numComments: int
    categories: list[str] = Field(description="dailypapers extension: arXiv categories.")
    numAuthors: int = Field(description="dailypapers extension: author count.")
    submittedOnDailyAt: str | None = Field(None, description="Feed date.")
    submittedOnDailyBy: HfUser | None = None
    organization: HfOrganization | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    projectPage: str | None = None


class HfDailyPaper(_Shape):
    """One element of ``GET /api/daily_papers``."""

    paper: HfPaper
    publishedAt: str = Field(description="The date the paper entered the feed.")
    title: str
    summary: str
    numComments: int
    isAuthorParticipating: bool = False
    submittedBy: HfUser | None = None
    organization: HfOrganization | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    projectPage: str | None = None


class ApiError(_Shape):
    error: str = Field(description="What was wrong, in words.")
