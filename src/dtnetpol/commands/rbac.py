"""``dtnetpol rbac``: the read-only ServiceAccount, ClusterRole and binding live mode needs."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import yaml

from dtnetpol.commands import _types as flag_types
from dtnetpol.commands._help import examples
from dtnetpol.sources.cluster import DIAGNOSE_RULES, PROBE_RULES, READS, rbac_rules

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``rbac`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "rbac", help="print the read-only RBAC (ServiceAccount, ClusterRole, binding) that "
                     "live mode needs",
        description="Print a ServiceAccount, a ClusterRole with exactly what live mode reads "
                    "(get and list; no Secrets, no writes) and the ClusterRoleBinding between "
                    "them. Apply with: dtnetpol rbac | kubectl apply -f -",
        epilog=examples(
            'dtnetpol rbac | kubectl apply -f -',
            'dtnetpol rbac --name dtnetpol-ci --namespace ci'))
    p.add_argument("--name", default="dtnetpol-reader",
                   help="name of the ServiceAccount, ClusterRole and binding "
                        "(default: dtnetpol-reader)")
    p.add_argument("--namespace", default="dtnetpol", type=flag_types.namespace,
                   help="namespace of the ServiceAccount (default: dtnetpol)")
    p.add_argument("--diagnose", action="store_true",
                   help="also what dtnetpol diagnose reads: events (get, list) and pod logs "
                        "(pods/log, get only)")
    p.add_argument("--probe", action="store_true",
                   help="also the role dtnetpol probe --yes needs to write: create, get, "
                        "list and delete pods and ConfigMaps, read their logs, add "
                        "ephemeral containers; bound only in the --probe-namespace "
                        "namespaces")
    p.add_argument("--probe-namespace", action="append", default=[], metavar="NS",
                   type=flag_types.namespace,
                   help="a namespace probes run in (repeatable; default: dynatrace)")
    p.set_defaults(run=run)


def manifests(name: str, namespace: str, extra: Sequence[Mapping[str, Any]] = ()) -> str:
    """The three objects as one YAML stream, with a comment on how to use them."""
    labels = {"app.kubernetes.io/name": "dtnetpol", "app.kubernetes.io/component": "reader"}
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": name, "namespace": namespace, "labels": labels}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": name, "labels": labels},
         "rules": [*rbac_rules(READS), *extra]},
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


def probe_manifests(name: str, namespace: str, probe_namespaces: Sequence[str]) -> str:
    """The writer's ClusterRole and a RoleBinding in each namespace probes run in."""
    labels = {"app.kubernetes.io/name": "dtnetpol", "app.kubernetes.io/component": "probe"}
    role = f"{name}-probe"
    docs: list[dict[str, Any]] = [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": role, "labels": labels}, "rules": list(PROBE_RULES)}]
    for ns in probe_namespaces:
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                     "metadata": {"name": role, "namespace": ns, "labels": labels},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                 "kind": "ClusterRole", "name": role},
                     "subjects": [{"kind": "ServiceAccount", "name": name,
                                   "namespace": namespace}]})
    head = ("# What `dtnetpol probe --yes` writes with, on top of the read-only role: probe "
            "pods and\n# their owner ConfigMaps, only in these namespaces (each probe runs "
            "in its flow's\n# source namespace; add --probe-namespace for monitored "
            "application namespaces).\n")
    return head + "---\n".join(yaml.safe_dump(d, sort_keys=False, default_flow_style=False)
                               for d in docs)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol rbac``."""
    out.write(manifests(args.name, args.namespace,
                        extra=DIAGNOSE_RULES if args.diagnose else ()))
    if args.probe:
        out.write("---\n" + probe_manifests(args.name, args.namespace,
                                            args.probe_namespace or ["dynatrace"]))
    return EXIT_OK
