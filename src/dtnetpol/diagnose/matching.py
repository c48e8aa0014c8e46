"""Text patterns: the flow table's exact symptom strings, and generic network errors.

:data:`CATALOGUE` compiles every exact :class:`~dtnetpol.dynatrace.flows.Symptom` of
:data:`~dtnetpol.dynatrace.flows.FLOW_SPECS` into a regular expression (``<...>`` and ``...``
stand for any text), keyed to the flow ids that list it. The Go network errors the catalogue
lists under operator → tenant (``i/o timeout``, ``connection refused``, ...) show in every
component's log, so they are not tied to one flow here: :func:`network_error` reads the error
class and where the connection went, and the caller resolves that address to a flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from dtnetpol.dynatrace.flows import FLOW_SPECS, Where

__all__ = [
    "CATALOGUE",
    "GENERIC_TEXTS",
    "CataloguePattern",
    "ErrorClass",
    "NetworkError",
    "catalogue_matches",
    "network_error",
]

#: Catalogue strings that are generic Go network errors (matched by :func:`network_error`).
GENERIC_TEXTS = frozenset({
    "dial tcp <ip>:443: i/o timeout", "connect: connection refused", "no such host",
    "context deadline exceeded",
})


@dataclass(frozen=True)
class CataloguePattern:
    text: str
    where: Where
    flows: tuple[str, ...]
    regex: re.Pattern[str]


_PLACEHOLDER = re.compile(r"<[^<>]+>|\.\.\.")


def _compile(text: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(text):
        parts.append(re.escape(text[last:m.start()]))
        parts.append(r".*?" if m.group() == "..." else r"\S+?")
        last = m.end()
    parts.append(re.escape(text[last:]))
    return re.compile("".join(parts))


def _build() -> tuple[CataloguePattern, ...]:
    by_text: dict[tuple[str, Where], list[str]] = {}
    for spec in FLOW_SPECS:
        for s in spec.symptoms:
            if s.exact and s.text not in GENERIC_TEXTS:
                by_text.setdefault((s.text, s.where), []).append(spec.id)
    pats = [CataloguePattern(t, w, tuple(dict.fromkeys(ids)), _compile(t))
            for (t, w), ids in by_text.items()]
    # The longest first: "failed to install agent from image" before "failed to install agent".
    return tuple(sorted(pats, key=lambda p: -len(p.text)))


CATALOGUE: tuple[CataloguePattern, ...] = _build()


def catalogue_matches(text: str) -> list[CataloguePattern]:
    """Catalogue entries found in ``text``; an entry contained in a longer one that also
    matches is left out."""
    found: list[CataloguePattern] = []
    for p in CATALOGUE:
        if p.regex.search(text) and not any(p.text in f.text for f in found):
            found.append(p)
    return found


class ErrorClass(StrEnum):
    TIMEOUT = "timeout"
    REFUSED = "refused"
    NO_ROUTE = "no-route"
    DNS = "dns"
    TLS = "tls-handshake-timeout"
    RESET = "reset"


@dataclass(frozen=True)
class NetworkError:
    """A network error in a line: its class and what the connection was for."""

    cls: ErrorClass
    ip: str | None = None
    port: int | None = None
    protocol: str = "tcp"
    host: str | None = None
    host_port: int | None = None
    dns_server: str | None = None


_CLASSES = (
    (re.compile(r"TLS handshake timeout"), ErrorClass.TLS),
    (re.compile(r"no such host|server misbehaving|Temporary failure in name resolution|"
                r"Name or service not known|could not resolve host", re.I), ErrorClass.DNS),
    (re.compile(r"connection refused"), ErrorClass.REFUSED),
    (re.compile(r"no route to host|network is unreachable"), ErrorClass.NO_ROUTE),
    (re.compile(r"connection reset by peer"), ErrorClass.RESET),
    (re.compile(r"i/o timeout|context deadline exceeded|Client\.Timeout exceeded|"
                r"connection timed out|timed out", re.I), ErrorClass.TIMEOUT),
)
_ADDR = r"(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])"
_DIAL = re.compile(r"dial (tcp|udp)[46]? " + _ADDR + r":(\d+)")
_LOOKUP = re.compile(r"lookup ([A-Za-z0-9_.-]+)(?: on " + _ADDR + r":(\d+))?")
_URL = re.compile(r"(https?|wss?)://([A-Za-z0-9_.-]+|\[[0-9a-fA-F:]+\])(?::(\d+))?")


def network_error(text: str) -> NetworkError | None:
    """The network error in ``text``, if any, with the address it concerned.

    A failed name lookup whose DNS server timed out is about DNS (``dns_server`` set, ``ip``
    and ``port`` its address); an answer "no such host" is about the host looked up.
    """
    cls = next((c for rx, c in _CLASSES if rx.search(text)), None)
    if cls is None:
        return None
    ip = port = host = host_port = dns = None
    proto = "tcp"
    dial = _DIAL.search(text)
    if dial:
        proto, ip, port = dial.group(1), dial.group(2).strip("[]"), int(dial.group(3))
    url = _URL.search(text)
    if url:
        host = url.group(2).strip("[]")
        host_port = int(url.group(3)) if url.group(3) else \
            (80 if url.group(1) in ("http", "ws") else 443)
    lookup = _LOOKUP.search(text)
    if lookup:
        host = host or lookup.group(1)
        if lookup.group(2):
            dns = lookup.group(2).strip("[]")
            if cls is not ErrorClass.DNS:  # the DNS server did not answer
                ip, port, proto = dns, int(lookup.group(3)), "udp"
    return NetworkError(cls, ip, port, proto, host, host_port, dns)
