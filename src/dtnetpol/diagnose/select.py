"""Which container logs ``diagnose`` (and ``snapshot --with-logs``) reads.

Every container of the Dynatrace pods (operator, webhook, CSI driver, ActiveGate, OneAgent
and the other operands), at most a few pods per component (a DaemonSet has one per node:
those that restart or are not ready first), the previous instance of every container that
restarted, and the injected init container of application pods in monitored namespaces whose
init failed. Pure: pod records in, (namespace, pod, container, previous) out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dtnetpol.diagnose.addresses import labels_party, name_guess
from dtnetpol.diagnose.diagnose import INIT_CONTAINERS
from dtnetpol.diagnose.observations import PodObs
from dtnetpol.dynatrace.components import DEFAULT_RELEASE_NAME

__all__ = ["LogRequest", "logs_to_read"]

LogRequest = tuple[str, str, str, bool]  # namespace, pod, container, previous

PODS_PER_COMPONENT = 3
MAX_LOGS = 80


def _trouble(p: PodObs) -> int:
    """Higher for pods more likely to show the problem."""
    restarts = sum(s.restarts for s in p.states)
    not_ready = sum(1 for s in p.states if not s.ready and not s.init)
    return restarts * 10 + not_ready


def logs_to_read(pods: Iterable[PodObs], monitored_namespaces: Sequence[str], *,
                 release_name: str = DEFAULT_RELEASE_NAME, owners: Sequence[str] = (),
                 per_component: int = PODS_PER_COMPONENT, limit: int = MAX_LOGS
                 ) -> list[LogRequest]:
    out: list[LogRequest] = []
    by_component: dict[tuple[str, str | None], list[PodObs]] = {}
    apps: list[PodObs] = []
    for p in pods:
        cid, owner = labels_party(p.labels, release_name)
        if cid is None:
            cid, owner = name_guess(p.name, owners)
        if cid is not None:
            by_component.setdefault((cid.value, owner), []).append(p)
        elif p.namespace in monitored_namespaces:
            apps.append(p)
    for group in by_component.values():
        for p in sorted(group, key=lambda x: (-_trouble(x), x.name))[:per_component]:
            restarted = {s.name for s in p.states if s.restarts and not s.init}
            for c in p.containers:
                out.append((p.namespace, p.name, c, False))
                if c in restarted:
                    out.append((p.namespace, p.name, c, True))
    for p in apps:
        for s in p.states:
            if not s.init or s.name not in INIT_CONTAINERS:
                continue
            failed = s.exit_code not in (None, 0) or s.last_exit_code not in (None, 0) or \
                s.waiting == "CrashLoopBackOff"
            if failed:
                out.append((p.namespace, p.name, s.name, False))
                if s.restarts:
                    out.append((p.namespace, p.name, s.name, True))
    return out[:limit]
