"""Validation problems: what the Kubernetes API server would reject in a NetworkPolicy.

Each problem has a stable code (used by the linter and in machine output), the exact field path
(``spec.egress[0].to[0].ports``; map keys as ``matchLabels[app]``) and the line of that field.

Codes:

``unknown-field``
    A field the API does not define, e.g. ``ports`` indented under a peer (``to[0].ports``),
    or ``to`` in an ingress rule. ``kubectl apply`` rejects it (strict field validation).
``missing-field``
    A required field is absent or empty: ``ipBlock.cidr``, ``metadata.name``, a
    ``matchExpressions`` item without ``key`` or ``operator``.
``wrong-type``
    A field of the wrong JSON type: a list where a mapping is expected, a number as a label
    value (``version: 1``), a boolean port.
``invalid-cidr``
    ``ipBlock.cidr`` or an ``except`` entry that is not an IPv4/IPv6 CIDR (``a.b.c.d/n``).
``except-outside-cidr``
    An ``except`` entry that is not a strict subset of ``cidr``.
``invalid-port``
    A numeric ``port`` outside 1–65535.
``invalid-port-name``
    A named ``port`` that is not an IANA service name: at most 15 characters of ``a-z``,
    ``0-9`` and ``-``, at least one letter, no ``--``, no leading or trailing ``-``. A quoted
    number (``port: "443"``) is a name, so it is rejected too.
``invalid-end-port``
    ``endPort`` without a numeric ``port``, below ``port``, or outside 1–65535.
``invalid-protocol``
    ``protocol`` other than ``TCP``, ``UDP`` or ``SCTP`` (case-sensitive).
``invalid-label-key``
    A label key (``matchLabels``, ``matchExpressions[].key``, ``metadata.labels``) or
    annotation key that is not ``[prefix/]name``: prefix a DNS-1123 subdomain of at most 253
    characters, name at most 63 characters of ``[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?``.
``invalid-label-value``
    A label value (also an ``In``/``NotIn`` value) longer than 63 characters or not of the
    name character set; the empty value is valid.
``invalid-selector-operator``
    A ``matchExpressions`` operator other than ``In``, ``NotIn``, ``Exists``,
    ``DoesNotExist``.
``invalid-selector-values``
    ``values`` missing or empty with ``In``/``NotIn``, or given with
    ``Exists``/``DoesNotExist``.
``empty-peer``
    A ``from``/``to`` item with neither ``podSelector``, ``namespaceSelector`` nor
    ``ipBlock``.
``ipblock-with-selector``
    A peer with ``ipBlock`` and a selector: ``ipBlock`` must stand alone.
``invalid-policy-type``
    A ``policyTypes`` entry other than ``Ingress``/``Egress``, or more than two entries.
``invalid-name``
    ``metadata.name`` not a DNS-1123 subdomain or ``metadata.namespace`` not a DNS-1123
    label.
``invalid-selector``
    A Calico selector expression that does not parse (the message names the column), is
    longer than 1024 characters, or uses ``global()`` outside a rule's namespaceSelector.
``invalid-action``
    A Calico rule ``action`` other than ``Allow``, ``Deny``, ``Log``, ``Pass``, or a Tier
    ``defaultAction`` other than ``Deny``, ``Pass``.
``invalid-value``
    A value out of its CRD's range. Calico: ``ipVersion``, ICMP type/code, ``stagedAction``,
    more rules, nets or ports than the CRD allows, an order that is not finite. Admin
    policies and Cilium: an action, tier or priority out of range, a port range with start
    not below end, too many rules, a one-of object with no field or two.
``conflicting-fields``
    Calico fields that cannot go together (the CRD's validation rules and Calico's
    validator): ports without protocol TCP/UDP/SCTP, ``services`` with selectors or nets,
    ``icmp`` without protocol ICMP, ``http`` on a rule that is not Allow, ``preDNAT`` with
    egress, ``doNotTrack``/``preDNAT`` without ``applyOnForward``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dtnetpol.model.location import SourceLocation

PROBLEM_CODES: tuple[str, ...] = (
    "unknown-field",
    "missing-field",
    "wrong-type",
    "invalid-cidr",
    "except-outside-cidr",
    "invalid-port",
    "invalid-port-name",
    "invalid-end-port",
    "invalid-protocol",
    "invalid-label-key",
    "invalid-label-value",
    "invalid-selector-operator",
    "invalid-selector-values",
    "empty-peer",
    "ipblock-with-selector",
    "invalid-policy-type",
    "invalid-name",
    "invalid-selector",
    "invalid-action",
    "invalid-value",
    "conflicting-fields",
)


@dataclass(frozen=True)
class Problem:
    """One reason the API server would reject an object, at one field."""

    location: SourceLocation
    code: str
    message: str

    def __post_init__(self) -> None:
        if self.code not in PROBLEM_CODES:
            raise ValueError(f"unknown problem code {self.code!r}")

    def __str__(self) -> str:
        loc = self.location
        where = f"{loc.file}:{loc.line}" if loc.line is not None else loc.file
        field = f" {loc.path}:" if loc.path else ""
        return f"{where}:{field} {self.message} [{self.code}]"
