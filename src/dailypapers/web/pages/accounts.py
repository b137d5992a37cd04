"""Account pages: sign up, log in, log out, password reset by mail, settings with API tokens."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dailypapers.community import users
from dailypapers.community.auth import (
    CurrentUser,
    create_api_token,
    end_all_sessions,
    list_api_tokens,
    revoke_api_token,
    start_session,
)
from dailypapers.community.errors import CommunityError
from dailypapers.config import Settings
from dailypapers.store.models import User
from dailypapers.web import community_ui
from dailypapers.web.deps import DbId, get_db, require_user, safe_next
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render, templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
community_ui.register(templates.env)

_CSRF = Depends(require_csrf)


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "account/signup.html", form={}, next=safe_next(next))


@router.post(
    "/signup",
    response_class=HTMLResponse,
    dependencies=[_CSRF, Depends(rate_limit("signup", per_hour=20))],
)
def signup(
    request: Request, background: BackgroundTasks, username: str = Form(""),
    email: str = Form(""), password: str = Form(""), next: str = Form("/"),
    session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    """Mail a confirmation link (or, to a known address, a reminder): the same answer for both."""
    settings: Settings = request.app.state.settings
    try:
        outcome = users.request_signup(session, username, email, password)
        session.commit()
    except CommunityError as exc:
        form = {"username": username, "email": email}
        return render(request, "account/signup.html", exc.status, form=form, next=next,
                      error=exc.message)  # fmt: skip
    background.add_task(_send_mail, settings, users.signup_mail(settings, outcome))
    return render(request, "account/signup_sent.html", message=users.SIGNUP_REPLY)


@router.get("/signup/confirm/{token}", response_class=HTMLResponse)
def confirm_signup_page(request: Request, token: str) -> HTMLResponse:
    """A button, not an action: mail scanners that follow links must not create the account."""
    return render(request, "account/signup_confirm.html", token=token)


@router.post("/signup/confirm/{token}", dependencies=[_CSRF])
def confirm_signup(request: Request, token: str, session: Session = Depends(get_db)) -> Response:
    """Create the account from its confirmed sign-up and log it in."""
    try:
        user = users.confirm_signup(session, request.app.state.settings, token)
        session.commit()
    except CommunityError as exc:
        return render(request, "error.html", exc.status, status=exc.status, message=exc.message)
    start_session(request.session, user)
    community_ui.flash(request, f"Welcome, {user.username}!")
    return _redirect("/")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", why: str = "") -> HTMLResponse:
    """The log-in form; ``why`` (``upvote``, ``library``, ``follow``) explains why a button an
    anonymous visitor pressed landed here."""
    return render(request, "account/login.html", form={}, next=safe_next(next), why=why)


@router.post(
    "/login",
    response_class=HTMLResponse,
    dependencies=[_CSRF, Depends(rate_limit("login", per_minute=10))],
)
def login(
    request: Request, login: str = Form(""), password: str = Form(""),
    next: str = Form("/"), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    user = users.authenticate(session, login, password)
    if user is None:
        return render(request, "account/login.html", 400, form={"login": login}, next=next,
                      error="Wrong user name, email or password.")  # fmt: skip
    session.commit()  # a re-hashed password
    start_session(request.session, user)
    return _redirect(safe_next(next))


@router.post("/logout", dependencies=[_CSRF])
def logout(request: Request, session: Session = Depends(get_db)) -> Response:
    """End this session and every other copy of its cookie (the session version moves on)."""
    user = getattr(request.state, "user", None)
    if user is not None:
        end_all_sessions(session, user.id)
        session.commit()
    request.session.clear()
    return _redirect("/")


# --- password reset ------------------------------------------------------------------------------
@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> HTMLResponse:
    return render(request, "account/forgot.html", sent=False)


def _send_mail(settings: Settings, message: EmailMessage) -> None:
    from dailypapers.mail import MailError, send_message

    try:
        send_message(settings, message)
    except (MailError, OSError):
        log.warning("could not send the %r mail", message["Subject"], exc_info=True)


def _send_reset(settings: Settings, address: str, link: str) -> None:
    message = EmailMessage()
    message["To"] = address
    message["From"] = settings.mail_from
    message["Subject"] = f"Reset your {settings.site_name} password"
    message.set_content(
        f"Someone (hopefully you) asked to reset the password of your {settings.site_name} "
        f"account.\n\nChoose a new password here (the link works for one hour):\n{link}\n\n"
        "If you did not ask for this, ignore this mail; nothing changes.\n"
    )
    _send_mail(settings, message)


@router.post(
    "/password/forgot",
    response_class=HTMLResponse,
    dependencies=[_CSRF, Depends(rate_limit("password-reset", per_hour=10))],
)
def forgot(
    request: Request, background: BackgroundTasks, email: str = Form(""),
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """Mail a reset link; the page is the same whether the address is known or not."""
    settings: Settings = request.app.state.settings
    user = users.find_user(session, email) if "@" in email else None
    if user is not None:
        link = f"{settings.base_url.rstrip('/')}/password/reset/{users.reset_token(settings, user)}"
        background.add_task(_send_reset, settings, user.email, link)
    return render(request, "account/forgot.html", sent=True)


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, token: str, session: Session = Depends(get_db)) -> HTMLResponse:
    try:
        users.user_for_reset_token(session, request.app.state.settings, token)
    except CommunityError as exc:
        return render(request, "account/reset.html", 400, token_ok=False, error=exc.message)
    return render(request, "account/reset.html", token=token, token_ok=True)


@router.post("/password/reset/{token}", response_class=HTMLResponse, dependencies=[_CSRF])
def reset(
    request: Request, token: str, password: str = Form(""), session: Session = Depends(get_db)
) -> Response:
    try:
        user = users.user_for_reset_token(session, request.app.state.settings, token)
        users.set_password(session, user, password)
        session.commit()
    except CommunityError as exc:
        ok = "link" not in exc.message
        return render(request, "account/reset.html", 400, token=token, token_ok=ok,
                      error=exc.message)  # fmt: skip
    session.refresh(user)
    start_session(request.session, user)
    community_ui.flash(request, "Your password is changed.")
    return _redirect("/")


# --- settings ------------------------------------------------------------------------------------
def _settings_page(request: Request, session: Session, user: CurrentUser, status: int = 200,
                   **extra: object) -> HTMLResponse:  # fmt: skip
    tokens = list_api_tokens(session, user.id)
    return render(request, "account/settings.html", status, tokens=tokens, **extra)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, user: CurrentUser = Depends(require_user), session: Session = Depends(get_db)
) -> HTMLResponse:
    return _settings_page(request, session, user)


@router.post(
    "/settings/tokens",
    response_class=HTMLResponse,
    dependencies=[_CSRF, Depends(rate_limit("token", per_hour=30))],
)
def create_token(
    request: Request, name: str = Form(""), user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """Create a token and show it once (the page is not cached)."""
    token = create_api_token(session, user.id, name)
    session.commit()
    response = _settings_page(request, session, user, new_token=token, new_token_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/tokens/{token_id}/revoke", dependencies=[_CSRF])
def revoke_token(
    request: Request, token_id: DbId, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    if revoke_api_token(session, user.id, token_id):
        session.commit()
        community_ui.flash(request, "Token revoked.")
    return _redirect("/settings")


@router.post("/settings/password", response_class=HTMLResponse, dependencies=[_CSRF])
def change_password(
    request: Request, current: str = Form(""), password: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    row = session.get(User, user.id)
    assert row is not None
    if not users.verify_password(row.password_hash, current):
        return _settings_page(request, session, user, 400, error="The current password is wrong.")
    try:
        users.set_password(session, row, password)
        session.commit()
    except CommunityError as exc:
        return _settings_page(request, session, user, exc.status, error=exc.message)
    session.refresh(row)
    start_session(request.session, row)  # this browser stays logged in, the others are logged out
    community_ui.flash(request, "Your password is changed; other browsers are logged out.")
    return _redirect("/settings")
