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

from django.conf import settings

# One IPv6 customer usually holds a whole /64; counting its addresses one by
# one would let a single client rotate through 2**64 identities.
IPV6_CLIENT_PREFIX = 64


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


def client_identity(request) -> str:
    """The client as limits count it: its IPv4 address, or its IPv6 /64."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return str(parsed)


def client_key(request) -> str:
    """A keyed hash of client_identity: stored with bookings, never the address."""
    identity = client_identity(request).encode()
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, b"client:" + identity, hashlib.sha256).hexdigest()[:32]
