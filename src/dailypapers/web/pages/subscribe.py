"""Digest pages: subscribe form, confirmation, preferences and one-click unsubscribe.

Links in mails carry signed tokens, which are the only authority the token pages need: no
account, no cookie. ``POST /unsubscribe/{token}`` is the RFC 8058 one-click endpoint: it
unsubscribes at once and answers 200 (no redirect), whatever the body; ``GET`` only shows a
page with a button, so that link scanners in mail gateways never unsubscribe anyone.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.digest import subscriptions as subs
from dailypapers.digest.render import manage_links
from dailypapers.digest.tasks import send_now_or_queue
from dailypapers.digest.tokens import read_confirm_token
from dailypapers.digest.topics import TopicError, topics_from_text
from dailypapers.web.deps import get_db, get_settings_dep
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
subscribe_limit = rate_limit("subscribe", per_hour=20)


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request) -> HTMLResponse:
    """The full subscribe form (email, frequency, topics)."""
    return render(request, "subscribe/form.html", form={"frequency": "daily", "topics": ""})


@router.post(
    "/subscribe",
    response_class=HTMLResponse,
    dependencies=[Depends(require_csrf), Depends(subscribe_limit)],
)
def subscribe_submit(
    request: Request,
    background: BackgroundTasks,
    email: str = Form(""),
    frequency: str = Form("daily"),
    topics: str = Form(""),
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> HTMLResponse:
    """Record the request and mail a confirmation link; the answer never reveals the address."""
    form = {"email": email, "frequency": frequency, "topics": topics}
    try:
        message = subs.request_subscription(
            session, settings, email, frequency, topics_from_text(topics)
        )
    except (subs.SubscriptionError, TopicError) as exc:
        return render(request, "subscribe/form.html", status_code=400, form=form, error=str(exc))
    session.commit()
    background.add_task(send_now_or_queue, settings, message)
    return render(request, "subscribe/message.html", title="Check your inbox",
                  message=subs.SUBSCRIBE_REPLY)  # fmt: skip


@router.get("/subscribe/confirm/{token}", response_class=HTMLResponse)
def confirm_page(
    request: Request, token: str, settings: Settings = Depends(get_settings_dep)
) -> HTMLResponse:
    """Show what will be confirmed and a button (link scanners must not confirm by a GET)."""
    pending = read_confirm_token(settings, token)
    return render(request, "subscribe/confirm.html", pending=pending, token=token)


@router.post("/subscribe/confirm/{token}", response_class=HTMLResponse)
def confirm_submit(
    request: Request,
    token: str,
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> HTMLResponse:
    """Activate the subscription with the settings carried by the link."""
    sub = subs.confirm(session, settings, token)
    session.commit()
    links = manage_links(settings, sub.id, sub.token_version)
    return render(request, "subscribe/message.html", title="Subscription confirmed",
                  message=f"Your {sub.frequency} digest goes to {sub.email}.",
                  manage_url=links["manage_url"])  # fmt: skip


@router.get("/subscriptions/manage/{token}", response_class=HTMLResponse)
def manage_page(
    request: Request,
    token: str,
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> HTMLResponse:
    """Preferences of the subscriber the link names."""
    sub = subs.for_manage_token(session, settings, token)
    form = {"frequency": sub.frequency, "topics": "\n".join(sub.topics or [])}
    return render(request, "subscribe/manage.html", sub=sub, token=token, form=form)


@router.post("/subscriptions/manage/{token}", response_class=HTMLResponse)
def manage_submit(
    request: Request,
    token: str,
    frequency: str = Form("daily"),
    topics: str = Form(""),
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> HTMLResponse:
    """Save frequency and topics (and re-activate an unsubscribed address)."""
    sub = subs.for_manage_token(session, settings, token)
    form = {"frequency": frequency, "topics": topics}
    try:
        subs.update_preferences(sub, frequency, topics_from_text(topics))
    except (subs.SubscriptionError, TopicError) as exc:
        return render(request, "subscribe/manage.html", status_code=400, sub=sub, token=token,
                      form=form, error=str(exc))  # fmt: skip
    session.commit()
    return render(request, "subscribe/manage.html", sub=sub, token=token, form=form,
                  saved=True)  # fmt: skip


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request,
    token: str,
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> HTMLResponse:
    """A confirmation page with one button; a GET never unsubscribes."""
    done = subs.unsubscribed_by(session, settings, token)
    if done is not None:  # the link was used already: its token has been rotated
        return render(request, "subscribe/unsubscribe.html", sub=done, token=token, done=True)
    sub = subs.for_manage_token(session, settings, token)
    return render(request, "subscribe/unsubscribe.html", sub=sub, token=token, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_submit(
    request: Request,
    token: str,
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> HTMLResponse:
    """RFC 8058 one-click unsubscribe: immediate, 200, no redirect (also when repeated)."""
    sub = subs.unsubscribed_by(session, settings, token)
    if sub is None:
        sub = subs.unsubscribe(subs.for_manage_token(session, settings, token))
        session.commit()
    return render(request, "subscribe/unsubscribe.html", sub=sub, token=token, done=True)
