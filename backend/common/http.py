"""Who is asking: the client's address, read the same way everywhere.

The throttles, the login lockout and the per-client limits all tell clients
apart by this one function, so they agree with each other and with
DJANGO_NUM_PROXIES: with 0 proxies the socket's address is used and
X-Forwarded-For is ignored (a client cannot forge it); behind N trusted
proxies the Nth address from the right of X-Forwarded-For is the client.
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from django.conf import settings

# One IPv6 customer usually holds a whole /64; counting its addresses one by
# one would let a single client rotate through 2**64 identities. Wider
# buckets count what one customer can still rotate through: a home or small
# site is commonly given a /56, and a /48 is what a tunnel broker hands out
# for free. IPv4 has no wider bucket: one address is one client, and a /24
# is shared by unrelated customers (carrier NAT, mobile networks), so
# counting it together would let one of them lock the others out.
IPV6_CLIENT_PREFIX = 64
IPV6_SITE_PREFIX = 56
IPV6_NETWORK_PREFIX = 48


def client_ip(request) -> str:
    """The client's IP address as a string ("" if the request has none)."""
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    remote_addr = request.META.get("REMOTE_ADDR", "")
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies and forwarded_for:
        addresses = [a.strip() for a in forwarded_for.split(",") if a.strip()]
        if addresses:
            return addresses[-min(num_proxies, len(addresses))]
    return remote_addr


@dataclass(frozen=True)
class ClientKeys:
    """Keyed hashes of a client and of the wider networks it belongs to.

    `site` (its /56) and `network` (its /48) are empty for IPv4 clients.
    """

    client: str
    site: str = ""
    network: str = ""


def _parsed(request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _network(address: ipaddress.IPv6Address, prefix: int) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network((address, prefix), strict=False)


def client_identity(request) -> str:
    """The client as limits count it: its IPv4 address, or its IPv6 /64."""
    parsed = _parsed(request)
    if parsed is None:
        return client_ip(request)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(_network(parsed, IPV6_CLIENT_PREFIX))
    return str(parsed)


def client_login_address(request) -> str:
    """The address django-axes counts login failures by: the same client as
    every other limit, written as an address (its /64's first one for IPv6),
    since axes stores it in an IP address column."""
    parsed = _parsed(request)
    if parsed is None:
        return client_ip(request)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(_network(parsed, IPV6_CLIENT_PREFIX).network_address)
    return str(parsed)


def _keyed(label: str, identity: str) -> str:
    secret = settings.SECRET_KEY.encode()
    message = f"{label}:{identity}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def client_key(request) -> str:
    """A keyed hash of client_identity: stored with bookings, never the address."""
    return _keyed("client", client_identity(request))


def client_keys(request) -> ClientKeys:
    """The client's key and, for IPv6, its /56's and /48's (see ClientKeys)."""
    parsed = _parsed(request)
    if not isinstance(parsed, ipaddress.IPv6Address):
        return ClientKeys(client=client_key(request))
    return ClientKeys(
        client=client_key(request),
        site=_keyed("site", str(_network(parsed, IPV6_SITE_PREFIX))),
        network=_keyed("network", str(_network(parsed, IPV6_NETWORK_PREFIX))),
    )
