"""What check, fix, generate and diff read about the Dynatrace installation.

The DynaKube and EdgeConnect resources (from PATH or ``--dynakube``), the install facts the
flags and the operator's own workloads tell, the monitored namespaces. The manifests
themselves are loaded by :func:`dtnetpol.commands._inputs.load`.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

from dtnetpol.commands import _types as flag_types
from dtnetpol.commands._inputs import (
    add_apiserver_flag,
    apiserver_values,
    host_network,
    load,
    stdin_for,
)
from dtnetpol.dynatrace import (
    ComponentId,
    CrdValidator,
    DynaKube,
    EdgeConnect,
    HostPort,
    InstallFacts,
    Platform,
    parse_dynakube,
    parse_edgeconnect,
    parse_endpoints,
    platform_profile,
    recognise,
)
from dtnetpol.errors import InputError, UsageError
from dtnetpol.generate import CalicoEdition, Flavor, monitored_namespaces
from dtnetpol.manifest.marks import item_line, key_line
from dtnetpol.model import Cluster, Direction, SourceLocation
from dtnetpol.sources import read_documents

if TYPE_CHECKING:
    from dtnetpol.sources.cluster import LiveRead


@dataclass(frozen=True)
class Inputs:
    """What the manifests and flags say about the installation."""

    dynakubes: tuple[DynaKube, ...]
    edgeconnects: tuple[EdgeConnect, ...]
    cluster: Cluster
    install: InstallFacts
    monitored: dict[str, tuple[str, ...]]
    warnings: tuple[str, ...]
    #: The raw live read when no PATH was given (diagnose and probe use its Pod bodies).
    live: LiveRead | None = None


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def add_install_flags(p: argparse.ArgumentParser) -> None:
    """Flags that describe the installation: shared by generate and fix."""
    p.add_argument("--platform", choices=[x.value for x in Platform], default=None,
                   help="where the cluster runs: decides the API server's source and port "
                        "and the cluster DNS (default: generic; openshift with "
                        "--flavor openshift)")
    add_apiserver_flag(p)
    p.add_argument("--apiserver-cidr", action="append", default=[], metavar="CIDR",
                   type=flag_types.cidr,
                   help="where the API server's calls to the webhook come from "
                        "(control-plane nodes, EKS cluster subnets, GKE /28); repeatable")
    p.add_argument("--monitored-namespaces", metavar="NS,...", type=flag_types.namespaces,
                   help="namespaces whose pods the DynaKube instruments (default: its "
                        "namespaceSelector matched against the Namespaces in PATH)")
    p.add_argument("--operator-namespace", metavar="NS", type=flag_types.namespace,
                   help="namespace of the operator (default: the DynaKube's)")
    p.add_argument("--no-csi-driver", action="store_true",
                   help="the operator was installed without the CSI driver "
                        "(Helm csidriver.enabled=false)")
    p.add_argument("--oneagent-endpoints", metavar="URL,...",
                   help="the OneAgent communication endpoints, as the DynaKube status "
                        "(status.oneAgent.connectionInfoStatus.endpoints) would list them, "
                        "when the input has no status")
    p.add_argument("--crd", metavar="FILE",
                   help="the DynaKube CustomResourceDefinition (from the operator's release "
                        "assets): every DynaKube is validated against its schema first "
                        "(env DTNETPOL_DYNAKUBE_CRD)")


def add_generate_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant-cidr", action="append", default=[], metavar="CIDR",
                   type=flag_types.cidr,
                   help="where the Dynatrace hosts are (exact); default: 0.0.0.0/0 minus "
                        "private ranges, on the needed port only; repeatable")
    p.add_argument("--proxy-cidr", action="append", default=[], metavar="CIDR",
                   type=flag_types.cidr,
                   help="the proxy's addresses when spec.proxy names a host; repeatable")
    p.add_argument("--node-cidr", action="append", default=[], metavar="CIDR",
                   type=flag_types.cidr,
                   help="node addresses (kubelet, OneAgent on the host network); default: "
                        "the Nodes in PATH, else the private ranges; repeatable")
    p.add_argument("--calico-edition", choices=[e.value for e in CalicoEdition],
                   default=CalicoEdition.OSS.value,
                   help="with --flavor calico: enterprise (or Calico Cloud) allows hosts by "
                        "name (destination.domains); oss by address (default: oss)")


def _path_line(body: Any, path: str) -> int | None:
    """The YAML line of a field path such as ``spec.oneAgent.tolerations[0].key``."""
    line: int | None = None
    node = body
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(node, list) or index >= len(node):
                break
            line = item_line(node, index) or line
            node = node[index]
        else:
            if not isinstance(node, dict) or part not in node:
                break
            line = key_line(node, part) or line
            node = node[part]
    return line


def crd_validator(path: str | None) -> CrdValidator | None:
    """The DynaKube CRD from ``--crd`` or ``DTNETPOL_DYNAKUBE_CRD``, compiled once."""
    path = path or os.environ.get("DTNETPOL_DYNAKUBE_CRD")
    if not path:
        return None
    for doc in read_documents([path]):
        if isinstance(doc.body, dict) and doc.body.get("kind") == \
                "CustomResourceDefinition":
            try:
                return CrdValidator(doc.body)
            except ValueError as exc:
                raise InputError(f"not a usable CustomResourceDefinition: {exc}",
                                 doc.location) from None
    raise InputError(f"--crd {path}: no CustomResourceDefinition in this file")


def _custom_resources(documents: Sequence[tuple[Any, SourceLocation]],
                      crd: CrdValidator | None = None, accept_unserved: bool = False,
                      ) -> tuple[list[DynaKube], list[EdgeConnect]]:
    dks: list[DynaKube] = []
    ecs: list[EdgeConnect] = []
    for body, loc in documents:
        if not isinstance(body, dict):
            continue
        kind = body.get("kind")
        if kind == "DynaKube" and crd is not None:
            problems = crd.validate(body)
            if problems:
                path, message = problems[0]
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                name = (body.get("metadata") or {}).get("name", "?")
                raise InputError(f"DynaKube {name} does not match the CRD schema: "
                                 f"{message}{more}",
                                 loc.at(path, _path_line(body, path)))
        if kind == "DynaKube":
            dks.append(parse_dynakube(body, loc, accept_unserved=accept_unserved))
        elif kind == "EdgeConnect":
            ecs.append(parse_edgeconnect(body, loc))
    return dks, ecs


def _apiserver_port(flags: Sequence[str]) -> int | None:
    """The port of ``--apiserver :PORT`` (the address unknown), if given."""
    ports = sorted({port for host, port in apiserver_values(flags) if host is None})
    if len(ports) > 1:
        raise UsageError("--apiserver: give one :PORT (address unknown), not "
                         + " and ".join(f":{p}" for p in ports))
    return ports[0] if ports else None


def _apiserver_endpoints(cluster: Cluster, flags: Sequence[str]) -> tuple[HostPort, ...]:
    given = [HostPort(host, port) for host, port in apiserver_values(flags) if host is not None]
    if given:
        return tuple(given)
    if flags:   # only :PORT: the port is known, the addresses are not
        return ()
    out: list[HostPort] = []
    for ep in cluster.endpoints:
        if ep.namespace == "default" and ep.service == "kubernetes":
            for addr in ep.addresses:
                for port in ep.ports:
                    if isinstance(port.target_port, int):
                        out.append(HostPort(addr, port.target_port))
    return tuple(dict.fromkeys(out))


def _default_deny_egress(cluster: Cluster, namespace: str) -> bool:
    return any(p.namespace == namespace and p.pod_selector.is_empty
               and Direction.EGRESS in p.policy_types for p in cluster.policies)


def install_from_manifests(cluster: Cluster, namespace: str
                           ) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Install facts the operator's own workloads in PATH tell (CSI driver present, webhook
    replicas, host network and server port), and notes on what was concluded."""
    pods = [p for p in cluster.pods if p.namespace == namespace]
    kinds = [recognise(p.labels) for p in pods]
    facts: dict[str, Any] = {}
    notes: list[str] = []
    webhooks = [p for p, k in zip(pods, kinds, strict=True) if k is ComponentId.WEBHOOK]
    if webhooks:
        facts["webhook_host_network"] = any(p.host_network for p in webhooks)
        facts["webhook_replicas"] = len(webhooks)
        server = [cp.port for p in webhooks for cp in p.ports if cp.name == "server-port"]
        if server:
            facts["webhook_port"] = server[0]
    if ComponentId.CSI_DRIVER in kinds:
        facts["csi_driver"] = True
    elif ComponentId.OPERATOR in kinds or webhooks:
        facts["csi_driver"] = False
        notes.append(f"the operator's workloads in {namespace} include no CSI driver: code "
                     "modules are downloaded by the init container of each monitored pod")
    return facts, tuple(notes)


def load_inputs(args: argparse.Namespace, err: TextIO | None = None, *,
                paths: Sequence[str] | None = None, for_policies: bool = True) -> Inputs:
    """Load PATH (:func:`~dtnetpol.commands._inputs.load`), read the DynaKube and resolve
    the install facts.

    ``paths`` overrides the flags' PATHs (one side of ``diff``). ``for_policies``: warn
    about monitored namespaces without default-deny egress (where a generated app-egress
    policy would cut other traffic); off for ``check``. The loader's warnings are in
    :attr:`Inputs.warnings`, not printed.

    Raises:
        InputError: unreadable or invalid input, no DynaKube anywhere.
        UsageError: a malformed flag value.
    """
    loaded = load(args, err, paths=paths, report=False)
    cluster = loaded.cluster
    docs: list[tuple[Any, SourceLocation]] = []
    if args.dynakube:
        stdin = stdin_for(args, paths)
        docs = [(d.body, d.location) for d in read_documents(args.dynakube, stdin)]
    else:
        docs = [(o.body, o.location or SourceLocation(o.name)) for o in cluster.others]
    dks, ecs = _custom_resources(docs, crd_validator(getattr(args, "crd", None)),
                                 getattr(args, "accept_unserved", False))
    if not dks and not ecs:
        where = ", ".join(args.dynakube) if args.dynakube else "PATH"
        raise InputError(f"no DynaKube or EdgeConnect found in {where} "
                         "(give the DynaKube with --dynakube FILE)")
    warnings: list[str] = list(cluster.warnings)
    for dk in dks:
        warnings.extend(f"DynaKube {dk.name}: {w}" for w in dk.warnings)

    platform = args.platform
    flavor = getattr(args, "flavor", None)
    if platform is None:
        platform = Platform.OPENSHIFT.value if flavor == Flavor.OPENSHIFT else \
            Platform.GENERIC.value
    elif flavor == Flavor.OPENSHIFT and platform != Platform.OPENSHIFT:
        raise UsageError("--flavor openshift needs --platform openshift (or no --platform)")
    profile = platform_profile(platform, apiserver_cidrs=args.apiserver_cidr,
                               apiserver_port=_apiserver_port(args.apiserver))
    endpoints = _apiserver_endpoints(cluster, args.apiserver)

    given = _csv(args.monitored_namespaces) if args.monitored_namespaces else []
    monitored: dict[str, tuple[str, ...]] = {}
    for dk in dks:
        if given:
            monitored[dk.name] = tuple(given)
        elif cluster.namespaces:
            monitored[dk.name] = monitored_namespaces(dk, cluster.namespaces.values())
    # A namespace flag that names nothing the input knows is most likely a typo.
    named = [("--monitored-namespaces", n) for n in given]
    if args.operator_namespace:
        named.append(("--operator-namespace", args.operator_namespace))
    if cluster.namespaces:
        warnings.extend(f"{flag} {ns}: no such namespace in PATH" for flag, ns in named
                        if ns not in cluster.namespaces)
    if given and len([d for d in dks if d.injection or d.otlp_exporter]) > 1:
        warnings.append("--monitored-namespaces applies to every DynaKube of the input")
    if cluster.policies and for_policies:
        for ns in sorted({n for v in monitored.values() for n in v}):
            if not _default_deny_egress(cluster, ns):
                warnings.append(f"namespace {ns} has no default-deny egress policy in PATH: "
                                "the generated app-egress policy would isolate its pods' "
                                "egress and cut what else they reach")

    namespace = args.operator_namespace or (dks[0].namespace if dks else ecs[0].namespace)
    seen, notes = install_from_manifests(cluster, namespace)
    warnings.extend(notes)
    if args.no_csi_driver:
        seen["csi_driver"] = False
    if getattr(args, "oneagent_endpoints", None):
        eps = parse_endpoints(args.oneagent_endpoints, ",")
        if not eps:
            raise UsageError(f"--oneagent-endpoints {args.oneagent_endpoints!r}: expected "
                             "URL[,URL...], e.g. https://sg-1.example.com:443")
        dks = [dk if dk.oneagent_endpoints else replace(dk, oneagent_endpoints=eps)
               for dk in dks]
    install = InstallFacts(
        operator_namespace=namespace,
        **seen,
        monitored_namespaces=tuple(sorted({n for v in monitored.values() for n in v})),
        platform=profile,
        apiserver_endpoints=endpoints,
        host_network=host_network(args),
    )
    return Inputs(tuple(dks), tuple(ecs), cluster, install, monitored, tuple(warnings),
                  loaded.live)


