"""Kubernetes name syntax: DNS-1123 names, label keys and values, IANA port names.

Each check returns None when the value is valid, else a short reason, mirroring
``k8s.io/apimachinery/pkg/util/validation`` (IsDNS1123Subdomain, IsQualifiedName,
IsValidLabelValue, IsValidPortName).
"""

from __future__ import annotations

import re

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(rf"{_DNS_LABEL}\Z")
_DNS_SUBDOMAIN_RE = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*\Z")
_NAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_PORT_NAME_CHARS_RE = re.compile(r"[-a-z0-9]+\Z")


def dns1123_subdomain_error(value: str) -> str | None:
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _DNS_SUBDOMAIN_RE.match(value):
        return ("must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and "
                "'.', starting and ending with a letter or digit")
    return None


def dns1123_label_error(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS_LABEL_RE.match(value):
        return ("must be a lowercase RFC 1123 label: lowercase letters, digits and '-', "
                "starting and ending with a letter or digit")
    return None


def label_key_error(key: str) -> str | None:
    """Why ``key`` is not a qualified name ``[prefix/]name``, or None."""
    parts = key.split("/")
    if len(parts) > 2:
        return "must have at most one '/'"
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return "prefix before '/' must be non-empty"
        error = dns1123_subdomain_error(prefix)
        if error is not None:
            return f"prefix {error}"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_RE.match(name):
        return ("name part must consist of letters, digits, '-', '_' or '.', and start and "
                "end with a letter or digit")
    return None


def label_value_error(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None (the empty value is valid)."""
    if not value:
        return None
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _NAME_RE.match(value):
        return ("must be empty or consist of letters, digits, '-', '_' or '.', and start and "
                "end with a letter or digit")
    return None


def port_name_error(name: str) -> str | None:
    """Why ``name`` is not an IANA service name (RFC 6335, lowercase only), or None."""
    if len(name) > 15:
        return "must be no more than 15 characters"
    if not _PORT_NAME_CHARS_RE.match(name):
        return "must contain only lowercase letters, digits and '-'"
    if not re.search("[a-z]", name):
        return "must contain at least one letter"
    if "--" in name:
        return "must not contain '--'"
    if name.startswith("-") or name.endswith("-"):
        return "must not begin or end with '-'"
    return None
