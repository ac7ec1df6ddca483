"""The network side of webhooks: which addresses a delivery may reach, and one POST to them.

A subscription URL names a host; the host is resolved, every address it resolves to is checked,
and the POST connects to a checked address (never resolving again), so a DNS answer that
changes between the check and the connection cannot send it somewhere else. Redirects are never
followed: the signed POST goes to the subscribed URL or nowhere.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500  # WebhookSubscription.url's max_length

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 6052's well-known NAT64 prefix: the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ValueError):
    """A URL whose host may not receive webhooks (its scheme, form or address)."""


class DeliveryFailed(OSError):
    """The POST did not get a 2xx answer: no connection, a timeout or another status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`addresses`), and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _address_refusal(address: str, *, allow_private: bool) -> str | None:
    """Why `address` may not receive webhooks ("a loopback address", ...), or None when it may.

    Public unicast addresses always may. Loopback, private, link-local, shared (CGNAT),
    reserved and other non-global addresses may only with `allow_private` (development and
    tests); multicast and unspecified addresses never can, since no receiver listens there.
    An IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64) is judged by it.
    """
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = _address_refusal(str(embedded), allow_private=allow_private)
            return f"{reason} ({embedded} inside it)" if reason else None
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if allow_private:
        return None
    for kind, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("private", ip.is_private), ("reserved", ip.is_reserved),
                       ("site-local", getattr(ip, "is_site_local", False))):
        if flag:
            return f"a {kind} address"
    if not ip.is_global:
        return "not a public address"
    return None


def webhook_target_check(*, url: str, allow_private: bool) -> Target:
    """Parse `url`, resolve its host and check every address; raise TargetRefused if any is
    refused, the URL is not a plain http(s) URL, or the host does not resolve."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"{url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"{url!r} is not an http(s) URL")
    if not parts.hostname:
        raise TargetRefused(f"{url!r} names no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(f"{url!r} holds a user name or password: the signature "
                            "authenticates deliveries; put no credentials in the URL")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise TargetRefused(f"{url!r} holds spaces or control characters")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"the host {host!r} does not resolve ({exc})") from exc
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"the host {host!r} resolves to no address")
    for address in addresses:
        reason = _address_refusal(address, allow_private=allow_private)
        if reason:
            where = address if address == host else f"{host} resolves to {address}, which"
            hint = "" if allow_private else (
                "; webhooks go to public addresses only (RRM_WEBHOOK_ALLOW_PRIVATE=true "
                "allows private ones, for development)")
            raise TargetRefused(f"{url!r}: {where} is {reason}{hint}")
    path = parts.path or "/"
    return Target(scheme=parts.scheme, host=host, port=port,
                  path=f"{path}?{parts.query}" if parts.query else path, addresses=addresses)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to `address`, with `host` in the Host header."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to `address`, whose certificate must name `host`."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def webhook_post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `target` and return the 2xx status; raise DeliveryFailed otherwise.

    `timeout` bounds the whole exchange (connecting, over every address of the host, sending,
    and the answer's status line and headers), not each read: a receiver that trickles its
    answer is cut off all the same. A 3xx is a failure like any other status: its Location is
    reported, never followed.
    """
    deadline = time.monotonic() + timeout
    errors: list[str] = []
    for address in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = cls(target.host, target.port, address=address, timeout=remaining)
        try:
            connection.connect()
        except OSError as exc:
            connection.close()
            errors.append(f"{address}: {exc}")
            continue  # the host's next address, as a browser would
        cut = threading.Event()
        watchdog = threading.Timer(deadline - time.monotonic(), _cut, (connection, cut))
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            status, location = response.status, response.getheader("Location", "")
        except (OSError, http.client.HTTPException) as exc:
            # The watchdog cut it, or the socket's own timeout (the same deadline) fired first:
            # under load the watchdog's thread may run a moment late.
            timed_out = cut.is_set() or isinstance(exc, TimeoutError) \
                or time.monotonic() >= deadline
            late = f" (no answer within {timeout:g} s)" if timed_out else ""
            raise DeliveryFailed(f"{address}: {type(exc).__name__}: {exc}{late}") from exc
        finally:
            watchdog.cancel()
            connection.close()
        if 200 <= status < 300:
            return status
        if 300 <= status < 400:
            raise DeliveryFailed(f"HTTP {status}: a redirect (to {location[:200]!r}) is not "
                                 "followed", status)
        raise DeliveryFailed(f"HTTP {status}", status)
    if not errors:
        errors.append(f"no connection within {timeout:g} s")
    raise DeliveryFailed("; ".join(errors))


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """The deadline passed: end the exchange (a blocked read returns at once)."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
