"""``dtnetpol rbac``: the read-only ServiceAccount, ClusterRole and binding live mode needs."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import yaml

from dtnetpol.commands import _types as flag_types
from dtnetpol.sources.cluster import READS, rbac_rules

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``rbac`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "rbac", help="print the read-only RBAC (ServiceAccount, ClusterRole, binding) that "
                     "live mode needs",
        description="Print a ServiceAccount, a ClusterRole with exactly what live mode reads "
                    "(get and list; no Secrets, no writes) and the ClusterRoleBinding between "
                    "them. Apply with: dtnetpol rbac | kubectl apply -f -")
    p.add_argument("--name", default="dtnetpol-reader",
                   help="name of the ServiceAccount, ClusterRole and binding "
                        "(default: dtnetpol-reader)")
    p.add_argument("--namespace", default="dtnetpol", type=flag_types.namespace,
                   help="namespace of the ServiceAccount (default: dtnetpol)")
    p.set_defaults(run=run)


def manifests(name: str, namespace: str) -> str:
    """The three objects as one YAML stream, with a comment on how to use them."""
    labels = {"app.kubernetes.io/name": "dtnetpol", "app.kubernetes.io/component": "reader"}
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": name, "namespace": namespace, "labels": labels}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": name, "labels": labels}, "rules": rbac_rules(READS)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": name, "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]},
    ]
    head = (f"# Read-only access for dtnetpol's live mode: get and list of exactly what it "
            f"reads;\n# no Secrets, no writes. Rules for API groups that are not installed "
            f"(Cilium,\n# Calico, AdminNetworkPolicy) are harmless. A token for it:\n"
            f"#   kubectl create namespace {namespace}\n"
            f"#   dtnetpol rbac | kubectl apply -f -\n"
            f"#   kubectl create token {name} -n {namespace}\n")
    body = "---\n".join(yaml.safe_dump(d, sort_keys=False, default_flow_style=False)
                        for d in docs)
    return head + body


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol rbac``."""
    out.write(manifests(args.name, args.namespace))
    return EXIT_OK
