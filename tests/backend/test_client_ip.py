"""The client's address: X-Forwarded-For believed only from TRUSTED_PROXIES, read from the right."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from backend.client_ip import client_ip


def meta(peer: str, forwarded: str | None = None) -> dict[str, str]:
    return {"REMOTE_ADDR": peer, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})}


def test_with_no_trusted_proxies_the_peer_is_the_client_whatever_the_header_says(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(meta("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_a_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(meta("203.0.113.9", "198.51.100.7, 10.0.0.5")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_wrote_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(meta("10.0.0.5", "198.51.100.7")) == "198.51.100.7"


def test_what_a_client_wrote_left_of_the_proxys_hop_is_never_read(settings):
    # A proxy that appends (as nginx did with $proxy_add_x_forwarded_for): the client forged the first hop.
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(meta("10.0.0.5", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]
    assert client_ip(meta("10.1.2.3", "6.6.6.6, 198.51.100.7, 192.0.2.10, 10.9.9.9")) == "198.51.100.7"


def test_when_every_hop_is_trusted_the_furthest_one_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(meta("10.0.0.5", "10.0.0.7, 10.0.0.6")) == "10.0.0.7"
    assert client_ip(meta("10.0.0.5")) == "10.0.0.5"  # the proxy's own request (a health check)


def test_a_malformed_hop_stops_the_walk_at_the_last_address_vouched_for(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(meta("10.0.0.5", "198.51.100.7, <script>")) == "10.0.0.5"
    assert client_ip(meta("10.0.0.5", "")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("198.51.100.7:51234", "198.51.100.7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        (" 198.51.100.7 ", "198.51.100.7"),
    ],
)
def test_hops_with_ports_and_ipv6_are_understood(settings, forwarded, client):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(meta("10.0.0.5", forwarded)) == client


def test_an_ipv4_client_on_a_dual_stack_socket_is_one_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(meta("::ffff:203.0.113.9")) == "203.0.113.9"
    assert client_ip(meta("::ffff:10.0.0.5", "198.51.100.7")) == "198.51.100.7"


def test_no_usable_peer_address_is_no_address(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip({}) is None
    assert client_ip(meta("not-an-ip")) is None


def test_a_trusted_proxy_that_is_no_address_stops_start_up():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="backend.settings.test", TRUSTED_PROXIES="10.0.0.0/8,nginx")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert ImproperlyConfigured.__name__ in result.stderr and "'nginx'" in result.stderr
