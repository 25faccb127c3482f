"""Where rasad may connect: http(s) to public addresses, and the networks the operator allows.

A feed is input from the outside world. Its links, its redirects and its pages' meta refreshes
must not make rasad fetch an internal service (a router, a cloud metadata endpoint at
169.254.169.254, a database's HTTP port on 127.0.0.1) and store the answer. So every request
is checked on the address it will *actually connect to*, not on how its URL spells the host:

- `DestinationPolicy.check()` resolves the host once per run with `socket.getaddrinfo` (the
  resolver the socket itself would use, so `2130706433`, `0177.0.0.1`, `0x7f000001` and DNS
  names pointing at private addresses resolve to what they really are) and refuses the request
  when any of its addresses is not allowed.
- The first answer for a host is pinned for the rest of the run, and `PinnedResolver`, which
  replaces the reactor's name resolver, hands the connection exactly those addresses (checked
  again). A DNS server that answers "public" to the check and "private" to the connection
  (DNS rebinding) is never asked twice.

What is allowed: public addresses (`ipaddress`'s `is_global`, less multicast and reserved
ranges; IPv4-mapped, 6to4 and NAT64 IPv6 addresses are judged by the IPv4 address they
carry); plus the networks of `[crawl] allow_networks`. With that key absent the exact
addresses the configured sources' own hosts resolve to are trusted too (the operator named
them), which keeps a feed on 127.0.0.1 working; with the key set, even to [], only the listed
networks are.

Exceptions: `ForbiddenDestination` (an `IgnoreRequest`: the request's errback gets it).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from twisted.internet.address import IPv4Address as TwistedIPv4
from twisted.internet.address import IPv6Address as TwistedIPv6
from twisted.internet.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str], Sequence[Address]]

REASON = "forbidden_destination"
ALLOWED_SCHEMES = ("http", "https")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class ForbiddenDestination(IgnoreRequest):
    """A request refused before any connection: a scheme other than http(s), or a host that
    resolves to an address outside the allowed networks."""

    reason = REASON

    def __init__(self, url: str, why: str, address: str | None = None) -> None:
        super().__init__(f"forbidden destination: {why}")
        self.url = url
        self.address = address
        self.why = why


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`[crawl] allow_networks` (CIDR strings the config loader has checked) as networks."""
    return tuple(ipaddress.ip_network(value) for value in values)


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def kind_of(address: Address) -> str | None:
    """Why `address` is not a public address ("loopback", "private", ...), or None if it is.
    An IPv4-mapped address is its IPv4 address; a 6to4, Teredo or NAT64 address is refused
    when the IPv4 address it carries is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return kind_of(address.ipv4_mapped)
    inner = _embedded_ipv4(address)
    if inner is not None and (inner_kind := kind_of(inner)) is not None:
        return inner_kind
    for kind, test in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if test:
            return kind
    return None if address.is_global else "non-public"


def system_resolve(host: str) -> list[Address]:
    """Every address `host` resolves to, as the socket layer would connect to it.
    socket.gaierror (OSError) when it does not resolve."""
    found: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, None, type=socket.SOCK_STREAM
    ):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def host_of(url: str) -> str:
    """The host a URL names, lower-case, without IPv6 brackets ("" when it has none)."""
    return (urlsplit(url).hostname or "").rstrip(".")


def _shown(address: Address) -> str:
    """An address as people write it (::ffff:127.0.0.2 rather than ::ffff:7f00:2)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _key(host: str) -> str:
    return host.lower().strip("[]").rstrip(".")


@dataclass(frozen=True)
class Verdict:
    """An allowed request: the addresses its connection will use (none: did not resolve)."""

    addresses: tuple[Address, ...]


class DestinationPolicy:
    """The allow rule, and the one answer per host the whole run uses.

    `allow_networks` None means the key is absent: the addresses of `trusted_hosts` (the
    configured feeds', sitemaps' and homepages' hosts) are allowed too, resolved the first
    time a non-public address is met. `resolve` is injected (tests pass a table); it blocks,
    so Scrapy code calls `check()` in a thread.
    """

    def __init__(
        self,
        allow_networks: Sequence[Network] | None,
        trusted_hosts: Iterable[str] = (),
        resolve: Resolve = system_resolve,
    ) -> None:
        self.allow_networks = tuple(allow_networks or ())
        self.key_absent = allow_networks is None
        self._trusted_hosts = tuple(dict.fromkeys(h for h in trusted_hosts if h))
        self._trusted: frozenset[Address] | None = None
        self._resolve = resolve
        self._pins: dict[str, tuple[Address, ...] | None] = {}  # None: did not resolve

    def addresses(self, host: str) -> tuple[Address, ...] | None:
        """The host's pinned addresses: the first answer of this run (None: no answer)."""
        host = _key(host)
        if host not in self._pins:
            try:
                answer: tuple[Address, ...] | None = tuple(self._resolve(host))
            except (OSError, UnicodeError, ValueError):
                answer = None
            self._pins.setdefault(host, answer or None)
        return self._pins[host]

    def pinned(self, host: str) -> tuple[Address, ...] | None:
        """What `addresses()` answered, without resolving (None: never asked or no answer)."""
        return self._pins.get(_key(host))

    def asked(self, host: str) -> bool:
        """Whether `addresses()` was called for `host` this run."""
        return _key(host) in self._pins

    def refusal(self, address: Address) -> str | None:
        """Why a connection to `address` is refused, or None when it is allowed."""
        plain = _embedded_ipv4(address)
        candidates = [address] if plain is None else [address, plain]
        for candidate in candidates:
            if any(
                candidate in net for net in self.allow_networks if net.version == candidate.version
            ):
                return None
        kind = kind_of(address)
        if kind is None:
            return None
        if self.key_absent and any(c in self.trusted() for c in candidates):
            return None
        return f"a {kind} address, not in [crawl] allow_networks"

    def trusted(self) -> frozenset[Address]:
        """The addresses the configured sources' own hosts resolve to (key absent only)."""
        if self._trusted is None:
            found: set[Address] = set()
            for host in self._trusted_hosts:
                found.update(self.addresses(host) or ())
            self._trusted = frozenset(found)
        return self._trusted

    def check(self, url: str) -> Verdict:
        """Resolve (once per run) and judge `url`; raises ForbiddenDestination when refused.

        A host that does not resolve passes: the connection then fails as "dns", as before.
        """
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise ForbiddenDestination(url, f"{scheme or 'no'}: URLs are never fetched")
        host = host_of(url)
        addresses = self.addresses(host)
        if not addresses:
            return Verdict(())
        for address in addresses:
            why = self.refusal(address)
            if why is not None:
                shown = _shown(address)
                what = (
                    f"{shown} is {why}"
                    if _key(host) in (shown, str(address))
                    else (f"{host} is {shown}, {why}")
                )
                raise ForbiddenDestination(url, what, shown)
        return Verdict(addresses)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Nothing to cancel: the answer is already known."""


@implementer(IResolutionReceiver)
class _Filtered:
    """Passes on only the addresses the policy allows."""

    def __init__(self, receiver: Any, policy: DestinationPolicy) -> None:
        self._receiver = receiver
        self._policy = policy

    def resolutionBegan(self, resolution: Any) -> None:
        self._receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:
        try:
            ip = ipaddress.ip_address(str(getattr(address, "host", "")).split("%", 1)[0])
        except ValueError:
            return
        if self._policy.refusal(ip) is None:
            self._receiver.addressResolved(address)

    def resolutionComplete(self) -> None:
        self._receiver.resolutionComplete()


@implementer(IHostnameResolver)
class PinnedResolver:
    """The reactor's name resolver for a crawl. A host's addresses are the policy's pinned
    answer (resolved by `DestinationPolicy.check()` before the request was let through),
    filtered once more by the policy, so the connection goes where the check looked. A host
    the policy never saw (an HTTP proxy's) is resolved by `fallback`, and only its allowed
    addresses are connected to."""

    def __init__(self, policy: DestinationPolicy, fallback: Any) -> None:
        self.policy = policy
        self._fallback = fallback  # an IHostnameResolver (zope interfaces do not type-check)

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[Any]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        filtered = _Filtered(resolutionReceiver, self.policy)
        pinned = self.policy.pinned(hostName)
        if pinned is None and not self.policy.asked(hostName):
            return self._fallback.resolveHostName(
                filtered, hostName, portNumber, addressTypes, transportSemantics
            )
        resolution = _Resolution(hostName)
        filtered.resolutionBegan(resolution)
        for address in pinned or ():
            if isinstance(address, ipaddress.IPv6Address):
                if addressTypes is None or TwistedIPv6 in addressTypes:
                    filtered.addressResolved(TwistedIPv6("TCP", str(address), portNumber))
            elif addressTypes is None or TwistedIPv4 in addressTypes:
                filtered.addressResolved(TwistedIPv4("TCP", str(address), portNumber))
        filtered.resolutionComplete()
        return resolution
