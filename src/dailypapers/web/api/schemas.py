"""The Hugging Face papers API shapes: the serializers (``store.queries.hf``) and their schemas.

The serializers build plain dicts (fast, encoded with orjson); the pydantic models below
describe the same shapes for the OpenAPI docs at ``/docs``. Field names follow what the
``huggingface_hub`` client reads (``PaperInfo`` in ``hf_api.py``) and what
``huggingface.co/api/daily_papers`` returns: unknown values are left out rather than faked.
Two additions beyond Hugging Face's fields, ignored by its client: ``categories`` (arXiv
categories) and ``numAuthors`` (known even when the names are not).
"""

from __future__ import annotations

from typing import Any

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


# --- community, tokens, health and admin -------------------------------------------------------
class UserPublic(_Shape):
    """The authenticated user."""

    name: str
    email: str
    isAdmin: bool


class SubmissionOut(_Shape):
    """A submitted paper and the feed day it entered."""

    id: str = Field(description="arXiv id.")
    title: str
    feedDate: str = Field(description="The feed day (YYYY-MM-DD).")
    fetched: bool = Field(description="Whether the metadata had to be fetched from arXiv.")


class VoteOut(_Shape):
    id: str = Field(description="Paper id.")
    upvotes: int = Field(description="The paper's upvotes after the call.")
    upvoted: bool = Field(description="Whether your vote exists after the call.")


class CommentOut(_Shape):
    id: int
    paperId: str
    author: str = Field(description="User name of the author.")
    text: str
    createdAt: str = Field(description="ISO 8601, UTC.")
    editedAt: str | None = None


class CommentDeleted(_Shape):
    deleted: int = Field(description="Id of the deleted comment.")


class ClaimOut(_Shape):
    id: str = Field(description="Paper id.")
    claim: str = Field(description="`pending` or `approved`.")


class LinksOut(_Shape):
    id: str
    githubRepo: str | None = None
    projectPage: str | None = None


class TokenInfo(_Shape):
    id: int
    name: str
    createdAt: str
    lastUsedAt: str | None = None


class TokenCreated(_Shape):
    token: str = Field(description="The secret; shown only in this response.")
    name: str


class TokenRevoked(_Shape):
    revoked: int = Field(description="Id of the revoked token.")


class Health(_Shape):
    status: str = Field(description="`ok`/`ready`, or `error`/`warming` with a 503.")
    detail: str | None = Field(None, description="The kind of failure, on error.")


class IngestStatus(_Shape):
    sources: list[dict[str, Any]] = Field(description="Per source and key: last run, cursor, "
                                          "counts and last error.")  # fmt: skip
    queue: dict[str, Any] = Field(description="The job queue: backend and pending tasks.")


ERROR_MEANINGS = {
    400: "A malformed parameter (e.g. a date).",
    401: "No or bad credentials: send `Authorization: Bearer TOKEN`.",
    403: "Not allowed (administrators only, or not your item; or a missing CSRF token).",
    404: "No such item.",
    409: "Conflicts with the current state (e.g. already exists).",
    413: "The request is too large.",
    422: "A parameter or body field is missing or invalid.",
    429: "Too many requests; retry after the `Retry-After` seconds.",
    503: "A dependency (the database) does not answer.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with the :class:`ApiError` body."""
    return {code: {"model": ApiError, "description": ERROR_MEANINGS[code]} for code in codes}
