"""The address guard for webhook URLs (server-side request forgery).

A URL is checked at registration and again at every delivery, because DNS can change:
every address the host resolves to must be on the public internet. Delivery then
connects to the address that was checked (never resolving a second time), so a
rebinding DNS answer between check and connect cannot reach an internal service.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from claims.errors import DomainError

# Cloud metadata services outside the private and link-local ranges, refused by name too.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name the certificate and the Host header carry
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # checked addresses to connect to

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def _address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    """True when the address must not be contacted."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return True
    if ip.is_loopback:
        return not allow_loopback
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_link_local


def parse_url(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise DomainError.of("invalid_url", "url") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError.of("invalid_url", "url")
    if parts.username or parts.password:
        raise DomainError.of("url_has_credentials", "url")
    scheme = parts.scheme
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname.rstrip(".").lower(), port or (443 if scheme == "https" else 80), path


def resolve(url: str, *, allow_loopback: bool | None = None) -> Target:
    """The checked target of a webhook URL, or DomainError (invalid_url, url_not_https,
    url_has_credentials, host_unresolvable, address_not_allowed)."""
    if allow_loopback is None:
        allow_loopback = settings.CPOR_WEBHOOK_ALLOW_LOOPBACK
    scheme, host, port, path = parse_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError, ValueError):
        raise DomainError.of("host_unresolvable", "url") from None
    addresses: list[str] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        ip = ipaddress.ip_address(raw)
        if _address_refusal(ip, allow_loopback):
            raise DomainError.of("address_not_allowed", "url", address=raw)
        if raw not in addresses:
            addresses.append(raw)
    if not addresses:
        raise DomainError.of("host_unresolvable", "url")
    if scheme != "https":
        # Plain HTTP only to the loopback, in development and tests.
        if not (allow_loopback and all(ipaddress.ip_address(a).is_loopback for a in addresses)):
            raise DomainError.of("url_not_https", "url")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))
