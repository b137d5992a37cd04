"""Delivery channels: digests and follow alerts to Slack, Discord, Matrix, ntfy, Mattermost,
signed webhooks and the other services apprise speaks.

``service`` adds, lists, deletes and tests a user's channels; ``run`` sends alerts (after each
ingestion) and digests (at the digest hour) crash-safely; ``message`` writes and escapes the
text per channel format; ``transport`` makes one delivery attempt.
"""

from dailypapers.channels.run import Options, Summary, send_alerts, send_digests
from dailypapers.channels.service import (
    add_channel,
    delete_channel,
    get_channel,
    list_channels,
    public_view,
    send_test,
)

__all__ = [
    "Options",
    "Summary",
    "add_channel",
    "delete_channel",
    "get_channel",
    "list_channels",
    "public_view",
    "send_alerts",
    "send_digests",
    "send_test",
]
