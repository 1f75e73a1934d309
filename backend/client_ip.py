"""Who is on the other end: the one answer the audit log, every rate limit and anything else asking for the
client's IP address get.

X-Forwarded-For is written by whoever sends the request, so only the addresses our own proxies put there
can be believed. The peer (REMOTE_ADDR) is the client unless it is one of our proxies (TRUSTED_PROXIES, IPs
or CIDRs); then the chain is read from the right, past every trusted proxy, and the first other address is
the client. Whatever a client wrote to the left of that is never looked at. With TRUSTED_PROXIES empty (the
default) nobody's header is believed. infra/nginx overwrites the header with the address it saw, so behind
it the chain is one hop long."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_proxies_parse(entries: list[str]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as networks; a ValueError names the entry that is neither an IP nor a CIDR."""
    return _networks(tuple(entries))


def address_parse(value: str) -> Address | None:
    value = value.strip()
    # Some proxies write the port too: "203.0.113.7:51234", "[2001:db8::7]:443".
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: one client, one spelling.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def peer_is_trusted_proxy(peer: str) -> bool:
    """Whether the connection's peer address is one of our proxies (TRUSTED_PROXIES)."""
    address = address_parse(peer)
    return address is not None and any(address in net for net in trusted_proxies_parse(settings.TRUSTED_PROXIES))


def client_ip(meta: Mapping[str, Any]) -> str | None:
    """The client's address for a request's META (None when the server gave no usable peer address)."""
    peer = address_parse(str(meta.get("REMOTE_ADDR") or ""))
    if peer is None:
        return None
    proxies = trusted_proxies_parse(settings.TRUSTED_PROXIES)
    if not any(peer in network for network in proxies):
        return str(peer)
    client = peer
    for hop in reversed(str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        address = address_parse(hop)
        if address is None:
            break  # a hop no proxy of ours would write: nothing to its left can be vouched for
        client = address
        if not any(address in network for network in proxies):
            break
    return str(client)
