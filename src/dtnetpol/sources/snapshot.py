"""Snapshots: what a live read got, as files every command reads like manifests.

A snapshot folder holds one kubectl-style ``List`` file per resource read
(``NN-<resource>.json``, numbered in reading order so that loading the folder meets the
objects in the order the live read did) and ``snapshot.txt``: when, from which context and
server, what could not be read, which files hold how many objects. A resource whose List
would pass :data:`FILE_BYTES` is split into numbered files (``03-pods-0001.json``, ...): the
150,000 pods of a cluster at Kubernetes' scale limit are 0.5 GB of JSON, which one file
could not hold under ``--max-input-size``'s default, and a List is one document, parsed
whole. ``snapshot.txt`` is YAML under a name the manifest loader does
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
from dtnetpol.safe_text import path_label
from dtnetpol.sources.yaml_load import _manifest_files

if TYPE_CHECKING:
    from dtnetpol.sources.cluster import LiveRead

INFO_FILE = "snapshot.txt"
#: The largest List file a snapshot writes (``--max-file-size``): an eighth of the default
#: ``--max-input-size``, so each file of a snapshot reads with default flags and one parsed
#: List stays small next to the model built from it.
FILE_BYTES = 32 << 20
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


def _file_name(index: int, resource: str, part: int = 0) -> str:
    return f"{index:02d}-{resource}-{part:04d}.json" if part else f"{index:02d}-{resource}.json"


def _indented(item: Json) -> str:
    """``item`` as ``json.dumps(List, indent=2)`` writes it among the items."""
    return "    " + json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")


_HEAD = '{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": ['
_TAIL = '],\n  "metadata": {\n    "resourceVersion": ""\n  }\n}\n'


def list_texts(items: Sequence[Json], max_bytes: int = FILE_BYTES) -> list[tuple[str, int]]:
    """``items`` as kubectl-style List texts of at most ``max_bytes`` UTF-8 bytes each (an
    item larger than that alone in its List), with the number of items of each; exactly
    ``json.dumps(List, indent=2)`` when one text holds them all."""
    if not items:
        return [(_HEAD + _TAIL, 0)]
    frame = len(_HEAD) + len(_TAIL) + 4   # "\n" before the items, "\n  " after them
    out: list[tuple[str, int]] = []
    part: list[str] = []
    size = frame

    def flush() -> None:
        out.append((_HEAD + "\n" + ",\n".join(part) + "\n  " + _TAIL, len(part)))

    for item in items:
        text = _indented(item)
        length = len(text) if text.isascii() else len(text.encode("utf-8"))
        if part and size + length + 2 > max_bytes:
            flush()
            part, size = [], frame
        part.append(text)
        size += length + 2   # ",\n"
    flush()
    return out


def snapshot_files(live: LiveRead, *, keep_status: bool = False,
                   extra: Sequence[tuple[str, Sequence[Json]]] = (),
                   max_bytes: int = FILE_BYTES) -> list[tuple[str, str]]:
    """The files of the snapshot of ``live``: (name, text), ``snapshot.txt`` last.

    ``keep_status`` keeps pod container statuses; ``extra`` are more (resource, items)
    lists to write after those of the live read (``--with-logs``: the Warning events).
    A List over ``max_bytes`` is split into several files (see the module docstring).
    Names hold the resource names the server listed; the writer checks them.
    """
    from dtnetpol.sources.cluster import READS

    files: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    order = {r: i for i, r in enumerate(READS, 1)}
    lists: list[tuple[int, str, Sequence[Json], bool]] = [
        (order.get(x.read, len(order) + 1 + n), x.read.resource, x.items, keep_status)
        for n, x in enumerate(live.lists)]
    lists += [(n, resource, items, False)
              for n, (resource, items) in enumerate(extra, len(order) + len(live.lists) + 1)]
    for index, resource, items, keep in lists:
        texts = list_texts([strip(item, keep_status=keep) for item in items], max_bytes)
        for part, (text, count) in enumerate(texts, 1 if len(texts) > 1 else 0):
            name = _file_name(index, resource, part)
            files.append((name, text))
            counts[name] = count
    files.append((INFO_FILE, info_text(live, counts)))
    return files


def info_text(live: LiveRead, files: Mapping[str, int] | None = None) -> str:
    """``snapshot.txt``: a commented YAML document; ``files``: each List file written and
    the number of objects it holds (readers check that the folder holds exactly those)."""
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
    if files is not None:
        data["files"] = dict(files)
    head = ("# What `dtnetpol snapshot` read from a live cluster (read-only: get and list, no\n"
            "# Secrets). Every dtnetpol command reads this folder like the cluster itself:\n"
            "#   dtnetpol check DIR    dtnetpol connlist DIR    dtnetpol lint DIR ...\n"
            "# The *.json files are kubectl-style Lists, one per resource (a large one split\n"
            "# into numbered files); container env values, managedFields and CA bundles are\n"
            "# removed.\n")
    return head + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def snapshot_warnings(paths: Sequence[str]) -> list[str]:
    """The warnings the live read gave, for a PATH that is a snapshot folder (none for other
    paths), so the answers on the folder are the answers live; and a warning for each List
    file ``snapshot.txt`` lists that is missing (its objects are not in the answers) and for
    each manifest in the folder it does not list (left from another snapshot? read too)."""
    out: list[str] = []
    for p in paths:
        info = Path(p) / INFO_FILE
        if not info.is_file():
            continue
        try:
            data = yaml.safe_load(info.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
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
        files = data.get("files")
        if isinstance(files, Mapping):
            out += _file_warnings(p, files)
    return out


def _file_warnings(folder: str, files: Mapping[Any, Any]) -> list[str]:
    """What differs between the List files ``snapshot.txt`` lists and the folder."""
    present = {Path(f).relative_to(folder).as_posix() for f in _manifest_files(folder)}
    listed = {str(name) for name in files}
    label = path_label(folder)
    out = []
    for name in sorted(listed - present, key=str):
        count = files[name]
        objects = (f"{count:,} object{'s' if count != 1 else ''}" if isinstance(count, int)
                   else "objects")
        out.append(f"snapshot {label}: {path_label(name)} is missing ({INFO_FILE} lists it with "
                   f"{objects}): the answers are without them")
    for name in sorted(present - listed):
        out.append(f"snapshot {label}: {path_label(name)} is not one of its files "
                   f"({INFO_FILE} does not list it: left from another snapshot?); its objects "
                   "are read too")
    return out
