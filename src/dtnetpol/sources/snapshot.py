"""Snapshots: what a live read got, as files every command reads like manifests.

A snapshot folder holds one kubectl-style ``List`` file per resource read
(``NN-<resource>.json``, numbered in reading order so that loading the folder meets the
objects in the order the live read did) and ``snapshot.txt``: when, from which context and
server, what could not be read. ``snapshot.txt`` is YAML under a name the manifest loader does
not read, so ``dtnetpol check DIR`` loads exactly the objects; :func:`snapshot_warnings` gives
back the warnings the live read gave, so the answers on DIR are the answers live.

Noise is stripped: ``managedFields``, the ``last-applied-configuration`` annotation, container
statuses, webhook CA bundles, and the values of container environment variables (which can
hold credentials and are never analysed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dtnetpol import __version__

if TYPE_CHECKING:
    from dtnetpol.sources.cluster import LiveRead

INFO_FILE = "snapshot.txt"
SUFFIXES = (".json", ".txt", ".log")   # what a snapshot folder holds: Lists, INFO_FILE, logs
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
REMOVED = "(removed by dtnetpol snapshot)"
Json = dict[str, Any]


def _strip_pod_spec(spec: Mapping[str, Any]) -> Json:
    out = dict(spec)
    for key in ("containers", "initContainers", "ephemeralContainers"):
        if isinstance(spec.get(key), list):
            out[key] = [_strip_container(c) for c in spec[key]]
    return out


def _strip_container(container: Any) -> Any:
    if not isinstance(container, Mapping) or not isinstance(container.get("env"), list):
        return container
    env = [{**e, "value": REMOVED} if isinstance(e, Mapping) and "value" in e else e
           for e in container["env"]]
    return {**container, "env": env}


def strip(obj: Mapping[str, Any], *, keep_status: bool = False) -> Json:
    """An object without what analysis and support never need (see the module docstring);
    ``keep_status`` keeps the pods' container statuses (restarts, exit codes: what
    ``diagnose`` reads in a snapshot taken ``--with-logs``)."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    meta.pop("selfLink", None)
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
        if not meta["annotations"]:
            del meta["annotations"]
    out["metadata"] = meta
    kind = out.get("kind")
    spec = out.get("spec")
    if kind == "Pod" and isinstance(spec, Mapping):
        out["spec"] = _strip_pod_spec(spec)
        status = out.get("status")
        if isinstance(status, Mapping) and not keep_status:
            out["status"] = {k: v for k, v in status.items() if k not in (
                "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")}
    elif isinstance(spec, Mapping) and isinstance(spec.get("template"), Mapping):
        template = dict(spec["template"])
        if isinstance(template.get("spec"), Mapping):
            template["spec"] = _strip_pod_spec(template["spec"])
        out["spec"] = {**spec, "template": template}
    elif kind == "CronJob" and isinstance(spec, Mapping):
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        if isinstance(job.get("template"), Mapping) and isinstance(
                job["template"].get("spec"), Mapping):
            template = {**job["template"], "spec": _strip_pod_spec(job["template"]["spec"])}
            out["spec"] = {**spec, "jobTemplate": {**spec["jobTemplate"],
                                                   "spec": {**job, "template": template}}}
    if kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration") and \
            isinstance(out.get("webhooks"), list):
        out["webhooks"] = [
            {**w, "clientConfig": {k: v for k, v in w["clientConfig"].items()
                                   if k != "caBundle"}}
            if isinstance(w, Mapping) and isinstance(w.get("clientConfig"), Mapping) else w
            for w in out["webhooks"]]
    return out


def _file_name(index: int, resource: str) -> str:
    return f"{index:02d}-{resource}.json"


def snapshot_files(live: LiveRead, *, keep_status: bool = False,
                   extra: Sequence[tuple[str, Sequence[Json]]] = ()) -> list[tuple[str, str]]:
    """The files of the snapshot of ``live``: (name, text), ``snapshot.txt`` last.

    ``keep_status`` keeps pod container statuses; ``extra`` are more (resource, items)
    lists to write after those of the live read (``--with-logs``: the Warning events).
    Names hold the resource names the server listed; the writer checks them.
    """
    from dtnetpol.sources.cluster import READS

    files: list[tuple[str, str]] = []
    order = {r: i for i, r in enumerate(READS, 1)}
    lists: list[tuple[int, str, Sequence[Json], bool]] = [
        (order.get(x.read, len(order) + 1 + n), x.read.resource, x.items, keep_status)
        for n, x in enumerate(live.lists)]
    lists += [(n, resource, items, False)
              for n, (resource, items) in enumerate(extra, len(order) + len(live.lists) + 1)]
    for index, resource, items, keep in lists:
        body = {"apiVersion": "v1", "kind": "List",
                "items": [strip(item, keep_status=keep) for item in items],
                "metadata": {"resourceVersion": ""}}
        files.append((_file_name(index, resource),
                      json.dumps(body, indent=2, ensure_ascii=False) + "\n"))
    files.append((INFO_FILE, info_text(live)))
    return files


def info_text(live: LiveRead) -> str:
    """``snapshot.txt``: a commented YAML document."""
    data: Json = {
        "dtnetpolSnapshot": 1,
        "dtnetpolVersion": __version__,
        "time": live.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "context": live.context,
        "server": live.server,
        "serverVersion": dict(live.version),
        "objects": {x.read.resource: len(x.items) for x in live.lists},
        "forbidden": [{"resource": f.read.resource, "message": f.message}
                      for f in live.forbidden],
        "notInstalled": [r.resource for r in live.absent],
    }
    head = ("# What `dtnetpol snapshot` read from a live cluster (read-only: get and list, no\n"
            "# Secrets). Every dtnetpol command reads this folder like the cluster itself:\n"
            "#   dtnetpol check DIR    dtnetpol connlist DIR    dtnetpol lint DIR ...\n"
            "# The *.json files are kubectl-style Lists, one per resource; container env\n"
            "# values, managedFields and CA bundles are removed.\n")
    return head + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def snapshot_warnings(paths: Sequence[str]) -> list[str]:
    """The warnings the live read gave, for a PATH that is a snapshot folder (none for other
    paths), so the answers on the folder are the answers live."""
    out: list[str] = []
    for p in paths:
        info = Path(p) / INFO_FILE
        if not info.is_file():
            continue
        try:
            data = yaml.safe_load(info.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, Mapping) or "dtnetpolSnapshot" not in data:
            continue
        # the live reader's tables, imported only for a snapshot folder (not for manifests)
        from dtnetpol.sources.cluster import READS, Forbidden

        by_resource = {r.resource: r for r in READS}
        for entry in data.get("forbidden") or []:
            read = by_resource.get(str(entry.get("resource")))
            if read is not None:
                out.append(Forbidden(read, str(entry.get("message", ""))).warning())
    return out

