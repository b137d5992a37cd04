"""Refuse channel URLs that point inside the server's network (SSRF guard).

A channel URL is chosen by a user, and the server then makes requests to it: without a guard,
anyone with an account could make the server call ``http://127.0.0.1:6379`` or a cloud
metadata address. Every address the host name resolves to must be public (not loopback,
private, link-local, shared, reserved, multicast or unspecified), checked when the channel is
added and again before every request (including redirects), unless the operator sets
``DAILYPAPERS_CHANNELS_ALLOW_PRIVATE=true`` (a self-hosted Matrix or ntfy on the LAN; tests).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse

from dailypapers.errors import Invalid


class BlockedTarget(Invalid):
    """The URL's host resolves to an address channels may not reach."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not ip.is_multicast


def check_host(host: str | None, port: int | None = None, *, allow_private: bool) -> None:
    """Raise ``BlockedTarget`` unless every address of ``host`` is public (or allowed)."""
    if not host:
        raise BlockedTarget("The channel URL has no host name.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise BlockedTarget(f"The host {host!r} of the channel URL does not resolve.") from None
    for info in infos:
        if not _is_public(str(info[4][0])):
            raise BlockedTarget(
                f"The channel URL points to {host!r}, a private or local address; channels "
                "may only post to public hosts."
            )


def check_url(url: str, *, allow_private: bool) -> None:
    """``check_host`` for the host of an ``http(s)://`` URL."""
    parts = urllib.parse.urlsplit(url)
    check_host(parts.hostname, parts.port, allow_private=allow_private)
