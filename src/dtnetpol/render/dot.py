"""``-o dot``: reports as Graphviz graphs (``dtnetpol connlist -o dot | dot -Tsvg``).

Two graphs: ``connlist`` (workloads and external ranges, an edge per allowed connection,
labelled with its ports, workloads grouped by namespace) and ``check`` (the Dynatrace flows:
components, API server, DNS, tenant, application namespaces; an edge per flow coloured by
verdict and labelled with port and the deciding policies). The HTML report lays out the
``check`` graph with Graphviz.

Node ids are generated (``n0``, ``n1``, ...); every name is a quoted, escaped label, so user
data never becomes DOT syntax.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.dynatrace.flows import FlowEnd
from dtnetpol.engine.connlist import Connection
from dtnetpol.render.check_view import deciding_rules

#: Verdict colours, shared with the HTML report (green, red, amber, grey).
COLOUR = {FlowVerdict.ALLOWED: "#1a7f37", FlowVerdict.BLOCKED: "#cf222e",
          FlowVerdict.CONDITIONAL: "#bf8700", FlowVerdict.NOT_GOVERNED: "#8c959f"}
_RANK = {FlowVerdict.NOT_GOVERNED: 0, FlowVerdict.ALLOWED: 1, FlowVerdict.CONDITIONAL: 2,
         FlowVerdict.BLOCKED: 3}
_TENANT_KINDS = {"tenant": "Dynatrace tenant", "oneagent-endpoints": "Dynatrace tenant",
                 "activegate-endpoints": "Dynatrace tenant"}
#: Hosts outside the cluster as people say them, not as the field that names them.
_HOST_NAMES = {"tenant": "Dynatrace tenant (API)",
               "oneagent-endpoints": "OneAgent communication endpoints",
               "activegate-endpoints": "ActiveGate communication endpoints",
               "registry": "code-modules image registry"}


def quote(value: str) -> str:
    """A DOT double-quoted string holding ``value`` literally."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def _attrs(**attrs: str) -> str:
    return "[" + ", ".join(f"{k}={quote(v)}" for k, v in attrs.items()) + "]"


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    group: str  # subgraph cluster title, "" for none
    shape: str = "box"

    @property
    def namespace(self) -> str | None:
        return self.group[len("namespace "):] if self.group.startswith("namespace ") else None


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    attrs: dict[str, str]


def graph(name: str, nodes: Iterable[Node], edges: Sequence[Edge],
          graph_attrs: dict[str, str] | None = None) -> str:
    """A ``digraph`` with nodes grouped in clusters by ``group``; keys become ``n<i>``."""
    unique: dict[str, Node] = {}
    for n in nodes:
        unique.setdefault(n.key, n)
    ids = {key: f"n{i}" for i, key in enumerate(sorted(unique))}
    lines = [f"digraph {quote(name)} {{"]
    attrs = {"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.3",
             "ranksep": "0.9", **(graph_attrs or {})}
    lines += [f"  {k}={quote(v)};" for k, v in attrs.items()]
    lines.append('  node [fontname="Helvetica", fontsize="10", style="rounded,filled", '
                 'fillcolor="#f6f8fa", color="#57606a"];')
    lines.append('  edge [fontname="Helvetica", fontsize="9"];')
    groups: dict[str, list[Node]] = {}
    for key in sorted(unique):
        groups.setdefault(unique[key].group, []).append(unique[key])
    for i, (group, members) in enumerate(sorted(groups.items())):
        indent = "  "
        if group:
            lines.append(f"  subgraph cluster_{i} {{")
            lines.append(f'    label={quote(group)}; style="rounded,dashed"; color="#8c959f";')
            indent = "    "
        for n in members:
            lines.append(f"{indent}{ids[n.key]} {_attrs(label=n.label, shape=n.shape)};")
        if group:
            lines.append("  }")
    for e in edges:
        lines.append(f"  {ids[e.src]} -> {ids[e.dst]} {_attrs(**e.attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- connlist -------------------------------------------------------------------------------


def _conn_node(name: str) -> Node:
    if "/" in name:
        ns = name.split("/", 1)[0]
        return Node(name, name.split("/", 1)[1], f"namespace {ns}")
    return Node(name, name, "external addresses", "note")


def connlist_dot(conns: Sequence[Connection]) -> str:
    """Allowed connections as a graph."""
    nodes = [n for c in conns for n in (_conn_node(c.src), _conn_node(c.dst))]
    edges = [Edge(c.src, c.dst, {"label": "all" if c.ports.is_all else str(c.ports)})
             for c in conns]
    return graph("connlist", nodes, edges)


# --- check ----------------------------------------------------------------------------------


def _end_nodes(end: FlowEnd) -> list[Node]:
    """The graph nodes that stand for one end of a flow."""
    kind = end.kind
    if kind == "component" and end.component is not None:
        ns = end.namespace or ""
        return [Node(f"component:{ns}/{end.component.value}", end.description or
                     end.component.value, f"namespace {ns}" if ns else "")]
    if kind == "apiserver":
        return [Node("apiserver", "kube-apiserver", "control plane", "component")]
    if kind == "dns":
        ns = end.namespace or ""
        return [Node(f"dns:{ns}", "cluster DNS", f"namespace {ns}" if ns else "")]
    if kind == "kubelet":
        return [Node("kubelet", "kubelet (on each node)", "nodes", "component")]
    if kind == "oneagent-nodes":
        return [Node("nodes", "node IPs (host network)", "nodes", "component")]
    if kind == "app-pods":
        if end.namespaces:
            return [Node(f"app:{ns}", "application pods", f"namespace {ns}")
                    for ns in end.namespaces]
        return [Node("app:*", end.description or "application pods", "application namespaces")]
    if kind in _HOST_NAMES:
        hosts = sorted({h.host for h in end.hosts})
        label = _HOST_NAMES[kind] + ("\n" + ", ".join(hosts[:2]) if hosts else "") + \
            (f" (+{len(hosts) - 2})" if len(hosts) > 2 else "")
        return [Node(f"host:{kind}", label, _TENANT_KINDS.get(kind, "outside the cluster"),
                     "note")]
    return [Node(f"host:{kind}:{end.description}", end.description or kind, "outside the cluster",
                 "note")]


def _app_namespace(key: str) -> str | None:
    return key[len("app:"):] if key.startswith("app:") and key != "app:*" else None


def _verdict_for(r: FlowResult, src: Node, dst: Node) -> FlowVerdict:
    """The flow's verdict, narrowed to one application namespace when an end is one."""
    src_ns, dst_ns = _app_namespace(src.key), _app_namespace(dst.key)
    if src_ns is None and dst_ns is None:
        return r.verdict
    picked = [p for p in r.ports if (src_ns is None or p.source.startswith(src_ns + "/"))
              and (dst_ns is None or p.destination.startswith(dst_ns + "/"))]
    if not picked:
        return r.verdict
    return max((p.verdict for p in picked), key=_RANK.__getitem__)


def flow_edges(report: CheckReport) -> list[tuple[FlowResult, Node, Node, FlowVerdict]]:
    """Every (flow, source node, destination node, verdict) edge of the flow graph."""
    out = []
    for r in report.results:
        for s in _end_nodes(r.flow.source):
            for d in _end_nodes(r.flow.destination):
                out.append((r, s, d, _verdict_for(r, s, d)))
    return out


def _edge_rule(r: FlowResult, src: Node, dst: Node) -> str | None:
    """The deciding rule of a flow for one edge: one of the namespaces at its ends if any."""
    rules = deciding_rules(r)
    spaces = {n.namespace for n in (src, dst) if n.namespace is not None}
    mine = [x for x in rules
            if next((t for t in x.split() if "/" in t), "").split("/", 1)[0] in spaces]
    chosen = (mine or list(rules))[:1]
    if not chosen:
        return None
    more = len(rules) - 1
    return chosen[0] + (f" (+{more})" if more > 0 else "")


def _edge_attrs(i: int, r: FlowResult, src: Node, dst: Node,
                verdict: FlowVerdict) -> dict[str, str]:
    rule = _edge_rule(r, src, dst)
    label = f"{r.id}\n{r.port_text}" + (f"\n{rule}" if rule else "")
    style = "solid" if r.required else "dashed"
    if verdict is FlowVerdict.NOT_GOVERNED:
        style = "dotted"
    need = "required" if r.required else "optional"
    return {"label": label, "color": COLOUR[verdict], "fontcolor": COLOUR[verdict],
            "style": style, "penwidth": "2.2" if verdict is FlowVerdict.BLOCKED
            and r.required else "1.3",
            "tooltip": f"{r.id} ({need}): {verdict.value}", "id": f"flow-edge-{i}",
            "class": f"flow verdict-{verdict.value}"}


def check_dot(report: CheckReport, *, with_not_governed: bool = True) -> str:
    """The Dynatrace flows as a graph."""
    edges_in = [e for e in flow_edges(report)
                if with_not_governed or e[3] is not FlowVerdict.NOT_GOVERNED]
    nodes = [n for _, s, d, _ in edges_in for n in (s, d)]
    edges = [Edge(s.key, d.key, _edge_attrs(i, r, s, d, v))
             for i, (r, s, d, v) in enumerate(edges_in)]
    return graph("dynatrace-flows", nodes, edges)

