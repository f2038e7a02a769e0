r"""Propagation targets: the destinations the run's baggage may be sent to.

W3C Baggage leaves the process in clear text and is read by whoever receives
the request, so agentlog sends it only to the destinations the user lists
(``configure(propagation_targets=[...])``). The default is this machine and
private-network addresses. ``traceparent``, ``tracestate`` and ``X-Run-Id``
are not restricted: they hold random IDs and no data of the user's.

A target is one of:

* ``"search.internal"`` — that host name exactly (any scheme and port);
* ``".svc.cluster.local"`` — every host under that domain;
* ``"10.0.0.0/8"``, ``"::1"`` — an IP network or address (IP-literal hosts);
* ``"https://api.internal:8443/v1"`` — a URL prefix: same scheme, host and
  port, and a path under ``/v1`` (whole segments);
* ``re.compile(r"https://[a-z-]+\.corp\.example/")`` — a regular expression
  matched from the start of the URL, credentials (``user:pw@``) removed;
* ``"*"`` — everywhere.

A URL that cannot be read, or that holds a backslash, whitespace or a control
character (where URL parsers disagree on the host), matches nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TypeAlias
from urllib.parse import SplitResult, urlsplit

__all__ = ["DEFAULT", "DEFAULT_PROPAGATION_TARGETS", "PropagationTargets", "Target"]

Target: TypeAlias = "str | re.Pattern[str]"
"""One propagation target: a host, ``.domain``, network, URL prefix, ``"*"`` or compiled regex."""

DEFAULT_PROPAGATION_TARGETS: tuple[str, ...] = (
    "localhost",
    "127.0.0.0/8",
    "::1",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)
"""This machine and private networks (RFC 1918, IPv6 unique local): hosts you run."""

_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

_Network: TypeAlias = "ipaddress.IPv4Network | ipaddress.IPv6Network"
_Address: TypeAlias = "ipaddress.IPv4Address | ipaddress.IPv6Address"


class _Prefix:
    __slots__ = ("host", "path", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int | None, path: str) -> None:
        self.scheme, self.host, self.port, self.path = scheme, host, port, path


def _host_name(text: str, given: str) -> str:
    host = text.lower().rstrip(".")
    if not _HOST.fullmatch(host):
        raise ValueError(
            f"propagation target {given!r} is not a host name, .domain, network, URL prefix "
            "(scheme://host[:port][/path]) or '*'"
        )
    return host


def _split(url: str) -> tuple[SplitResult, str, int | None] | None:
    """*url* split, its lower-case host and its port (None: the scheme's default); None if unreadable."""
    if _UNSAFE.search(url):
        return None
    parts = urlsplit(url)
    host = parts.hostname
    if not parts.scheme or not host:
        return None
    port = parts.port  # ValueError for a port that is not one
    scheme = parts.scheme.lower()
    if port is not None and _DEFAULT_PORTS.get(scheme) == port:
        port = None
    return parts, host.rstrip("."), port


def _address(host: str) -> _Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class PropagationTargets:
    """A parsed list of propagation targets; `allows` says whether baggage may go to a URL.

    Args:
        targets: Targets as described in this module; one string is one target.

    Raises:
        TypeError: a target is neither a string nor a compiled ``str`` pattern.
        ValueError: a string target is none of the shapes above.
    """

    __slots__ = ("_everywhere", "_hosts", "_networks", "_patterns", "_prefixes", "_suffixes", "given")

    def __init__(self, targets: Iterable[Target] | Target) -> None:
        if isinstance(targets, (str, re.Pattern)):
            targets = [targets]
        if not isinstance(targets, Iterable) or isinstance(targets, (bytes, dict)):
            raise TypeError(f"propagation_targets must be a list of targets, not {type(targets).__name__}")
        self.given: tuple[Target, ...] = tuple(targets)
        self._everywhere = False
        self._hosts: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[_Network] = []
        self._prefixes: list[_Prefix] = []
        self._patterns: list[re.Pattern[str]] = []
        for target in self.given:
            self._add(target)

    def _add(self, target: object) -> None:
        if isinstance(target, re.Pattern):
            if not isinstance(target.pattern, str):
                raise TypeError("a propagation target pattern must be a str pattern, not bytes")
            self._patterns.append(target)
            return
        if not isinstance(target, str):
            kind = type(target).__name__
            raise TypeError(f"a propagation target must be a string or re.compile(...), not {kind}")
        text = target.strip()
        if text == "*":
            self._everywhere = True
        elif "://" in text:
            self._prefixes.append(self._prefix(text, target))
        elif text.startswith("."):
            self._suffixes.append("." + _host_name(text[1:], target))
        else:
            try:
                self._networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                self._hosts.add(_host_name(text, target))

    @staticmethod
    def _prefix(text: str, given: str) -> _Prefix:
        try:
            split = _split(text)
        except ValueError:
            split = None
        if split is None or split[0].username is not None or split[0].query or split[0].fragment:
            raise ValueError(f"propagation target {given!r} is not a URL prefix: scheme://host[:port][/path]")
        parts, host, port = split
        return _Prefix(parts.scheme.lower(), host, port, parts.path.rstrip("/"))

    def allows(self, url: object) -> bool:
        """True when baggage may be sent to *url* (a string or a URL object such as ``httpx.URL``).

        Never raises: a URL that cannot be read is not a target.
        """
        try:
            return self._allows(url if isinstance(url, str) else str(url))
        except Exception:
            return False

    def _allows(self, url: str) -> bool:
        split = _split(url)
        if split is None:
            return False
        parts, host, port = split
        if self._everywhere or host in self._hosts:
            return True
        if any(host.endswith(suffix) for suffix in self._suffixes):
            return True
        if self._networks and self._in_networks(host):
            return True
        scheme = parts.scheme.lower()
        for prefix in self._prefixes:
            if (prefix.scheme, prefix.host, prefix.port) == (scheme, host, port) and (
                not prefix.path or parts.path == prefix.path or parts.path.startswith(prefix.path + "/")
            ):
                return True
        if self._patterns:
            shown = f"[{host}]" if ":" in host else host
            explicit = parts.port
            normalized = f"{scheme}://{shown}{f':{explicit}' if explicit is not None else ''}{parts.path}"
            if parts.query:
                normalized += f"?{parts.query}"
            return any(pattern.match(normalized) for pattern in self._patterns)
        return False

    def _in_networks(self, host: str) -> bool:
        address = _address(host)
        if address is None:
            return False
        candidates: list[_Address] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate in network
            for candidate in candidates
            for network in self._networks
            if candidate.version == network.version
        )

    def __repr__(self) -> str:
        return f"PropagationTargets({list(self.given)!r})"


DEFAULT = PropagationTargets(DEFAULT_PROPAGATION_TARGETS)
"""The targets in force unless ``configure(propagation_targets=...)`` says otherwise."""
