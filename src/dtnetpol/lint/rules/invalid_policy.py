"""A policy the API server (or Calico) would reject.

## What it does
Reports every validation failure of a policy with the exact field path and line. The admin
kinds, Cilium's and Calico's are checked against their projects' published CRD schemas and
what their validators add (see the README); for a `networking.k8s.io/v1` NetworkPolicy:
unknown fields (such as `ports` indented under a peer), a peer with no field or with
`ipBlock` next to a selector, an invalid CIDR or an `except` outside its `cidr`, a port
outside 1–65535, a named port that is not an IANA service name, a bad
`endPort` or `protocol`, invalid label keys or values, unknown selector operators, `values`
with `Exists`/`DoesNotExist` or without `In`/`NotIn`, and bad `policyTypes`.

## Why is this bad?
`kubectl apply` refuses the whole object, so the policy you reviewed is not the one that runs
(often none runs). Worse, an unknown field is silently dropped by clients that do not ask for
strict validation: a `ports` list indented one level too deep under a peer disappears and
the rule then allows **every** port.

The policy is left out of every other check, since the API server would not store it.

## Example
```yaml
egress:
  - to:
      - ipBlock:
          cidr: 0.0.0.0/0
        ports:            # under the peer: unknown field
          - port: 443
```

## Use instead
```yaml
egress:
  - to:
      - ipBlock:
          cidr: 0.0.0.0/0
    ports:                # beside `to`: part of the rule
      - port: 443
```

## Options
None. Each message ends with the loader's problem code (`[unknown-field]`,
`[invalid-cidr]`, ...), listed in `dtnetpol/manifest/problems.py`. The
`dtnetpol.dev/ignore` annotation cannot suppress this rule (the policy is not stored); use
`ignore` with a path in `.dtnetpol.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity

ID = "NPL001"
NAME = "invalid-policy"
SEVERITY = Severity.ERROR
KINDS = ("NetworkPolicy", "Admin", "Cilium", "Calico")
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

FIXES: Mapping[str, str] = {
    "unknown-field": "remove the field, or move it where the API defines it (in a "
                     "NetworkPolicy, ports belong to the rule, beside from/to)",
    "missing-field": "add the required field",
    "wrong-type": "give the field the type the API expects (quote label values such as "
                  "\"1\" or \"true\")",
    "invalid-cidr": "write an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32",
    "except-outside-cidr": "list under except only ranges strictly inside cidr",
    "invalid-port": "use a port between 1 and 65535",
    "invalid-port-name": "use the container port's name (at most 15 lowercase letters, digits "
                         "and '-') or its number, unquoted",
    "invalid-end-port": "give endPort only with a numeric port, at least as large as port",
    "invalid-protocol": "use TCP, UDP or SCTP, in upper case",
    "invalid-label-key": "use a label key of the form [prefix/]name (name at most 63 "
                         "characters)",
    "invalid-label-value": "use a label value of at most 63 characters of letters, digits, "
                           "'-', '_' and '.'",
    "invalid-selector-operator": "use In, NotIn, Exists or DoesNotExist",
    "invalid-selector-values": "give values with In/NotIn and none with Exists/DoesNotExist",
    "empty-peer": "give the peer a podSelector, namespaceSelector or ipBlock, or drop the "
                  "from/to list to allow every peer",
    "ipblock-with-selector": "make the ipBlock and the selector separate list items",
    "invalid-policy-type": "list Ingress and/or Egress (case-sensitive)",
    "invalid-name": "use a lowercase DNS-1123 name",
}


def check(ctx: LintContext) -> Iterator[Finding]:
    for problem in ctx.problems:
        fix = FIXES.get(problem.code, "correct the field as the message says")
        yield Finding(ID, SEVERITY, f"{problem.message} [{problem.code}]", problem.location,
                      fix)
