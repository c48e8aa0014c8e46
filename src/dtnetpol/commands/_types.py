"""Flag values checked when the command line is parsed (argparse ``type=`` functions).

A malformed CIDR, address, port, namespace or size stops the run before anything is read:
exit 2 and ``dtnetpol <command>: error: argument --FLAG: ...``. Each function returns the
text as given (the commands parse it as before) except :func:`size`, which returns bytes.
"""

from __future__ import annotations

import argparse
import ipaddress
import re

from dtnetpol.engine.ports import parse_port_query
from dtnetpol.safe_text import escape_line

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_SIZE = re.compile(r"(\d+)\s*([kmgt]?)(i?b?)", re.IGNORECASE)
_UNITS = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}


def _bad(text: str, expected: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"{escape_line(text)!r}: {expected}")


def cidr(text: str) -> str:
    """An IPv4/IPv6 network (``10.0.0.0/16``) or a single address."""
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _bad(text, "not an IP address or CIDR (e.g. 10.0.0.0/16)") from None
    return text


def apiserver(text: str) -> str:
    """``IP:PORT``, ``[IPv6]:PORT``, or ``:PORT`` when only the port is known; port in
    1-65535."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        if host:
            ipaddress.ip_address(host)
        ok = bool(sep) and port.isdigit() and 1 <= int(port) <= 65535
    except ValueError:
        ok = False
    if not ok:
        raise _bad(text, "expected IP:PORT (or :PORT) with a port in 1-65535 (e.g. "
                         "172.18.0.2:6443)")
    return text


def port(text: str) -> str:
    """``PORT`` or ``PORT/PROTOCOL`` (TCP, UDP, SCTP)."""
    try:
        parse_port_query(text)
    except ValueError:
        raise _bad(text, "expected PORT or PORT/PROTOCOL with a port in 1-65535 and TCP, "
                         "UDP or SCTP (e.g. 8443 or 53/UDP)") from None
    return text


def namespace(text: str) -> str:
    """A namespace name: a DNS-1123 label (lower-case letters, digits, '-'; 63 at most)."""
    if not _DNS_LABEL.fullmatch(text):
        raise _bad(text, "not a namespace name (lower-case letters, digits and '-', "
                         "at most 63)")
    return text


def namespaces(text: str) -> str:
    """Namespace names separated by commas."""
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names:
        raise _bad(text, "expected NS[,NS...]")
    for name in names:
        namespace(name)
    return text


def size(text: str) -> int:
    """A byte count: ``1048576``, ``512K``, ``256M``, ``1G``, ``2GiB``; 0 for no limit."""
    found = _SIZE.fullmatch(text.strip())
    if not found:
        raise _bad(text, "expected a size such as 256M, 1G or 0 (no limit)")
    return int(found.group(1)) << _UNITS[found.group(2).lower()]
