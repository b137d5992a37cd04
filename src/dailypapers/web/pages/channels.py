"""``/settings/channels``: add, test and delete delivery channels (works without JavaScript)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dailypapers import channels
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import DomainError
from dailypapers.store.db import writing
from dailypapers.web import community_ui
from dailypapers.web.deps import get_db, get_settings_dep, require_user
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
_CSRF = Depends(require_csrf)
PAGE = "/settings/channels"


def _page(request: Request, session: Session, user: CurrentUser, status: int = 200,
          **extra: object) -> HTMLResponse:  # fmt: skip
    rows = [channels.public_view(c) for c in channels.list_channels(session, user.id)]
    response = render(request, "account/channels.html", status, channels=rows, **extra)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PAGE, response_class=HTMLResponse)
def channels_page(
    request: Request, user: CurrentUser = Depends(require_user), session: Session = Depends(get_db)
) -> HTMLResponse:
    return _page(request, session, user)


@router.post(PAGE, response_class=HTMLResponse,
             dependencies=[_CSRF, Depends(rate_limit("channel", per_hour=30))])  # fmt: skip
def add(
    request: Request, url: str = Form(""), name: str = Form(""), digest: str = Form("daily"),
    alerts: bool = Form(False), user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep),
) -> Response:  # fmt: skip
    try:
        with writing(session, settings):
            made = channels.add_channel(session, settings, user.id, url, name=name,
                                        digest=digest, alerts=alerts)  # fmt: skip
    except DomainError as exc:
        return _page(request, session, user, exc.status, error=exc.message, form_url=url)
    if made.secret:  # shown once, on this answer only
        return _page(request, session, user, 201, new_secret=made.secret)
    community_ui.flash(request, f"Channel added ({made.channel.kind}).")
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/{channel_id}/test",
             dependencies=[_CSRF, Depends(rate_limit("channel-test", per_minute=5))])  # fmt: skip
def test(
    request: Request, channel_id: int, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep),
) -> Response:  # fmt: skip
    outcome = channels.send_test(session, settings,
                                 channels.get_channel(session, user.id, channel_id))  # fmt: skip
    message = ("Test message sent." if outcome.status == "sent"
               else f"The test failed: {outcome.error}.")  # fmt: skip
    community_ui.flash(request, message)
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/{channel_id}/delete", dependencies=[_CSRF])
def delete(
    request: Request, channel_id: int, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep),
) -> Response:  # fmt: skip
    with writing(session, settings):
        channels.delete_channel(session, user.id, channel_id)
    community_ui.flash(request, "Channel deleted.")
    return RedirectResponse(PAGE, status_code=303)
