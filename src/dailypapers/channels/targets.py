"""Channel URLs: which service a URL names (through apprise's URL syntax), and its masked form.

Users paste what their service gives them: ``https://hooks.slack.com/services/…``,
``https://discord.com/api/webhooks/…``, ``mmost://host/token``, ``ntfy://host/topic``,
``matrix://token@host/!room:host``, ``tgram://bot/chat`` … (apprise parses them all). A plain
``https://`` URL that apprise does not recognise, or ``webhook+https://…``, is the generic
signed JSON webhook.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dailypapers.errors import Invalid

WEBHOOK_PREFIX = "webhook+"
# Services whose plugins talk HTTP through ``requests`` (so the SSRF guard sees every call).
KINDS = {
    "NotifySlack": "slack", "NotifyMattermost": "mattermost", "NotifyDiscord": "discord",
    "NotifyMatrix": "matrix", "NotifyNtfy": "ntfy", "NotifyTelegram": "telegram",
    "NotifyRocketChat": "rocketchat", "NotifyGotify": "gotify", "NotifyJSON": "json",
    "NotifyForm": "form", "NotifyGoogleChat": "googlechat", "NotifyZulip": "zulip",
    "NotifyPushover": "pushover", "NotifyMSTeams": "msteams", "NotifyWorkflows": "workflows",
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    kind: str
    url: str  # what is stored, encrypted
    hint: str  # safe to show: secrets masked


@lru_cache(maxsize=1)
def asset() -> Any:
    """Apprise's asset with an in-memory store (no cache files written by Matrix logins)."""
    import apprise

    return apprise.AppriseAsset(
        storage_mode="memory", app_id="dailypapers", app_desc="dailypapers digests and alerts"
    )


def instantiate(url: str) -> Any:
    """The apprise plugin for ``url`` (None when apprise does not know it)."""
    import apprise

    quiet = logging.getLogger("apprise")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # an unknown URL is an answer here, not an error to log
    try:
        return apprise.Apprise.instantiate(url, asset=asset(), suppress_exceptions=True)
    finally:
        quiet.setLevel(level)


def _mask_http(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    path = parts.path if len(parts.path) <= 12 else parts.path[:8] + "…"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{path}"


def parse_target(url: str) -> Target:
    """Classify a channel URL; ``Invalid`` with a hint when it names no supported service."""
    url = url.strip()
    if not url or len(url) > 2000:
        raise Invalid("Give the channel's URL (at most 2,000 characters).")
    inner = url.removeprefix(WEBHOOK_PREFIX)
    is_http = inner.lower().startswith(("http://", "https://"))
    plugin = None if url.startswith(WEBHOOK_PREFIX) else instantiate(url)
    if plugin is None:
        if is_http:
            return Target("webhook", inner, "webhook " + _mask_http(inner))
        raise Invalid("Not a channel URL this server understands; see docs/channels.md for "
                      "Slack, Discord, Matrix, ntfy, Mattermost and webhook URLs.")  # fmt: skip
    kind = KINDS.get(type(plugin).__name__)
    if kind is None:
        raise Invalid(f"{plugin.service_name} channels are not supported here.")
    hint = str(plugin.url(privacy=True)).split("?", 1)[0]
    return Target(kind, url, hint[:300])
