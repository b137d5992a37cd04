"""Code and project links read from abstracts and comments of real arXiv papers (74k corpus)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dailypapers.store.links import code_links
from dailypapers.store.models import Paper
from tests.factories import add_papers, make_record

# (arXiv id, abstract excerpt, comment, expected repository, expected project page)
REAL = [
    ("2503.11781",
     "The codes, dataset, and pre-trained models are available at: "
     "https://github.com/gosha20777/cmKAN", None,
     "https://github.com/gosha20777/cmKAN", None),
    ("2503.13424",
     "enabling next-step scaling up. Code is available at "
     "https://github.com/Intern-Nexus/Infinite-Mobility",
     "Project page: https://infinite-mobility.github.io 10 pages,12 figures",
     "https://github.com/Intern-Nexus/Infinite-Mobility", "https://infinite-mobility.github.io"),
    ("2603.28474",
     "The model and dataset have been released and are publicly available at "
     "https://huggingface.co/datasets/SII-Monument-Valley/CiQi-VQA.", None,
     None, "https://huggingface.co/datasets/SII-Monument-Valley/CiQi-VQA"),
    ("2605.18396",
     "without modifying either generator. Our project page: "
     "\\href{https://Newton026.github.io/newton}{https://Newton026.github.io/newton}",
     "project page: https://Newton026.github.io/newton",
     None, "https://Newton026.github.io/newton"),
    ("2605.28120",
     "Our code, datasets and implementation details are available at "
     "https://github.com/XMUDeepLIT/LegalGraphRAG.",
     "30 pages, 18 figures, ACL 2026 Main Conference. Project page: "
     "https://github.com/XMUDeepLIT/LegalGraphRAG",
     "https://github.com/XMUDeepLIT/LegalGraphRAG", None),
    ("2606.24548", "Text-to-image (T2I) generation models have achieved remarkable progress.",
     "10 pages, 7 figures. Project page: https://github.com/jylei16/CF-World.github.io",
     None, "https://github.com/jylei16/CF-World.github.io"),
]  # fmt: skip


@pytest.mark.parametrize(("pid", "abstract", "comment", "repo", "project"), REAL)
def test_links_in_real_abstracts_and_comments(
    pid: str, abstract: str, comment: str | None, repo: str | None, project: str | None
) -> None:
    assert code_links(abstract, comment) == (repo, project), pid


def test_no_links_and_non_repository_github_urls() -> None:
    assert code_links("We propose a method. Results improve.", None) == (None, None)
    assert code_links("see https://github.com/features/copilot for the tool", "") == (None, None)
    assert code_links(None, "https://gitlab.com/group/tool.git).") == (
        "https://gitlab.com/group/tool",
        None,
    )


def test_import_fills_code_fields_but_never_overrides_a_known_repository(settings) -> None:
    found = make_record(abstract="Code: https://github.com/acme/thing.", comment=None)
    known = make_record(
        abstract="Code: https://github.com/acme/other", github_repo="https://github.com/hf/known"
    )
    add_papers(settings, [found, known])
    from dailypapers.store import db

    with db.session_scope(settings) as session:
        repos = dict(session.execute(select(Paper.id, Paper.github_repo)).all())
    assert repos[found.id] == "https://github.com/acme/thing"
    assert repos[known.id] == "https://github.com/hf/known"
