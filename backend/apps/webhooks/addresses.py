"""Where a webhook may be sent: the URL rules and the address check (SSRF).

A webhook URL is typed by a manager, but the request leaves from inside the
business's network, so it must not reach what only that network reaches: a
URL whose host is, or resolves to, a loopback, private, link-local,
multicast, reserved or otherwise non-public address is refused, unless
BOOKING_WEBHOOK_ALLOW_PRIVATE is on (development and tests). Under
BOOKING_WEBHOOK_REQUIRE_HTTPS (production) the scheme must be https.

The check runs when an endpoint is saved and again before every send, on the
addresses the name resolves to then; the sender connects to the very
address it checked (`Target.address`), so a name that is re-pointed between
the check and the connection (DNS rebinding) cannot slip through.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from apps.webhooks.exceptions import WebhookUrlNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to say to the server there."""

    scheme: str
    host: str
    port: int
    path: str
    address: str = ""

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (a seam the tests replace)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet, and nothing else."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None and not is_public(mapped):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def parse_url(url: str) -> Target:
    """The URL's parts, or WebhookUrlNotAllowed saying what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise WebhookUrlNotAllowed("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise WebhookUrlNotAllowed("The URL must start with https:// (or http://).")
    if scheme != "https" and settings.BOOKING_WEBHOOK_REQUIRE_HTTPS:
        raise WebhookUrlNotAllowed("The URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlNotAllowed(
            "Put no user name or password in the URL; the signature proves the sender."
        )
    if not parts.hostname:
        raise WebhookUrlNotAllowed("The URL has no host.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=scheme,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        path=path,
    )


def _refusal(address: str) -> WebhookUrlNotAllowed:
    return WebhookUrlNotAllowed(
        f"The URL reaches {address}, which is not a public address; webhooks "
        "are only sent to public addresses."
    )


def check_target(target: Target) -> Target:
    """The target with the address to connect to, after checking every
    address its host resolves to; WebhookUrlNotAllowed if any is not public."""
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        try:
            found = resolve(target.host, target.port)
        except (OSError, UnicodeError):
            raise WebhookUrlNotAllowed(
                f"The host name {target.host!r} does not resolve."
            ) from None
        addresses = [ipaddress.ip_address(item.split("%")[0]) for item in found]
    if not addresses:
        raise WebhookUrlNotAllowed(f"The host name {target.host!r} does not resolve.")
    if not settings.BOOKING_WEBHOOK_ALLOW_PRIVATE:
        # Every address, not just the first: a name that also resolves inside
        # could be answered from inside on the next lookup.
        for address in addresses:
            if not is_public(address):
                raise _refusal(str(address))
    return Target(
        scheme=target.scheme,
        host=target.host,
        port=target.port,
        path=target.path,
        address=str(addresses[0]),
    )


def check_url(url: str) -> Target:
    """Parse and check a webhook URL; WebhookUrlNotAllowed says why not."""
    return check_target(parse_url(url))
