"""``/settings/data``: library switches, email change and digest link by mailed links, download
of everything, account deletion."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser, verify_password
from dailypapers.community.users import find_user
from dailypapers.config import Settings
from dailypapers.errors import DomainError
from dailypapers.library import account, reads
from dailypapers.mail import MailError, send_message
from dailypapers.store.db import writing
from dailypapers.web.deps import get_db, get_settings_dep, require_user
from dailypapers.web.pages.library import back
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
_CSRF = Depends(require_csrf)
_DB = Depends(get_db)
_SETTINGS = Depends(get_settings_dep)
_WRITES = [_CSRF, Depends(rate_limit("library", per_minute=120))]


# --- your data -----------------------------------------------------------------------------------
@router.get("/settings/data", response_class=HTMLResponse)
def data_page(
    request: Request, user: CurrentUser = Depends(require_user), session: Session = _DB
) -> HTMLResponse:
    return render(
        request,
        "library/data.html",
        prefs=reads.get_prefs(session, user.id),
        linked=account.linked_subscription(session, user.id),
    )


@router.post("/settings/data/prefs", dependencies=_WRITES)
def save_prefs(
    request: Request,
    auto_read: str = Form(""),
    hide_read: str = Form(""),
    public_upvotes: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        reads.set_prefs(
            session,
            user.id,
            auto_read=auto_read == "1",
            hide_read=hide_read == "1",
            public_upvotes=public_upvotes == "1",
        )
    return back(request, "/settings/data", "Settings saved.")


def _mail(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["To"], message["From"], message["Subject"] = to, settings.mail_from, subject
    message.set_content(body)
    try:
        send_message(settings, message)
    except (MailError, OSError):
        log.warning("could not send %r", subject, exc_info=True)


@router.post(
    "/settings/email", dependencies=[_CSRF, Depends(rate_limit("email-change", per_hour=10))]
)
def change_email(
    request: Request,
    background: BackgroundTasks,
    email: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    """Mail a confirmation link to the new address; the address changes when it is followed."""
    try:
        token = account.email_change_token(session, settings, user.id, email)
    except DomainError as exc:
        return back(request, "/settings/data", exc.message)
    link = f"{settings.base_url.rstrip('/')}/settings/email/{token}"
    background.add_task(
        _mail,
        settings,
        email.strip(),
        f"Confirm your new {settings.site_name} address",
        f"Follow this link to use this address for your account "
        f"{user.username}:\n{link}\n\nIt works for two days. If you did not ask "
        "for this, ignore this mail.\n",
    )
    return back(request, "/settings/data", f"A confirmation link is on its way to {email}.")


@router.get("/settings/email/{token}")
def confirm_email(
    request: Request, token: str, session: Session = _DB, settings: Settings = _SETTINGS
) -> Response:
    with writing(session, settings):
        user = account.confirm_email_change(session, settings, token)
        address = user.email
    return back(request, "/settings/data", f"Your address is now {address}.")


@router.post(
    "/settings/link-digest", dependencies=[_CSRF, Depends(rate_limit("email-change", per_hour=10))]
)
def link_digest(
    request: Request,
    background: BackgroundTasks,
    user: CurrentUser = Depends(require_user),
    settings: Settings = _SETTINGS,
) -> Response:
    """Mail a link to the account's address; following it links that address's digest."""
    token = account.link_token(settings, user.id, user.email)
    link = f"{settings.base_url.rstrip('/')}/settings/link-digest/{token}"
    background.add_task(
        _mail,
        settings,
        user.email,
        f"Link your {settings.site_name} digest",
        f"Follow this link (while logged in) to link the digest subscription "
        f"of {user.email} to your account {user.username}:\n{link}\n",
    )
    return back(request, "/settings/data", f"A confirmation link is on its way to {user.email}.")


@router.get("/settings/link-digest/{token}")
def confirm_link(
    request: Request,
    token: str,
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        account.confirm_link(session, settings, token, user.id)
    return back(request, "/settings/data", "Your digest subscription is linked to your account.")


@router.post(
    "/settings/delete-account",
    dependencies=[_CSRF, Depends(rate_limit("account-delete", per_hour=10))],
)
def delete_account(
    request: Request,
    password: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    row = find_user(session, user.username)
    if row is None or not verify_password(row.password_hash, password):
        return back(request, "/settings/data", "The password is wrong; nothing was deleted.")
    with writing(session, settings):
        account.delete_account(session, settings, user.id)
    request.session.clear()
    return back(request, "/", "Your account and all its data are deleted.")
