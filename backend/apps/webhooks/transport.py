"""One HTTP POST to a checked address: no redirects, a hard time limit, a
bounded read.

Plain `http.client`, connected to the address `addresses.check_target`
checked (TLS still verifies the certificate for the URL's host name, sent as
SNI), so the request cannot land anywhere the check did not see. Redirects
are not followed: a 3xx is an answer like any other, and not a success.
The whole exchange (connect, send, headers, body) is bounded by `timeout`:
a receiver that trickles bytes is cut off when it is over.
"""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from apps.webhooks.addresses import Target

# What is read of an answer at most, and what of it is kept in the log.
READ_LIMIT_BYTES = 64 * 1024
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host,
            target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self.address = target.address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _cut_off(connection: http.client.HTTPConnection) -> None:
    # shutdown() wakes a thread blocked in recv(); close() alone may not.
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def post(target: Target, *, body: bytes, headers: dict, timeout: float) -> Answer:
    """POST `body` to the checked `target`; never raises for a network error."""
    connection_class = (
        _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(target, timeout)
    watchdog = threading.Timer(timeout, _cut_off, args=(connection,))
    watchdog.daemon = True
    started = time.monotonic()
    status_code, received, error = None, b"", ""
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        status_code = response.status
        while len(received) < READ_LIMIT_BYTES:
            chunk = response.read(min(8192, READ_LIMIT_BYTES - len(received)))
            if not chunk:
                break
            received += chunk
    except (OSError, http.client.HTTPException) as failure:
        error = f"{type(failure).__name__}: {failure}"
        if time.monotonic() - started >= timeout:
            error = f"No complete answer within {timeout:g} s ({error})"
    finally:
        watchdog.cancel()
        connection.close()
    return Answer(
        status_code=status_code,
        excerpt=received[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
