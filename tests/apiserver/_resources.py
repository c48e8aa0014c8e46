"""The API resources the test server knows: what discovery lists and where objects are served.

A resource is served only when its group is installed (built-in groups always are; custom
resource groups when the fixture says so), as on a real cluster where a CRD adds the group.
"""

from __future__ import annotations

from dataclasses import dataclass

READ = ("get", "list", "watch")
ALL = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    group: str  # "" for the core group
    versions: tuple[str, ...]  # served versions, the preferred (storage) one first
    plural: str
    kind: str
    namespaced: bool
    builtin: bool = True  # list items of built-in kinds come without kind/apiVersion
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL

    @property
    def version(self) -> str:
        return self.versions[0]

    def group_version(self, version: str | None = None) -> str:
        v = version or self.version
        return f"{self.group}/{v}" if self.group else v


CORE = "core"  # key of the core group in install sets

RESOURCES: tuple[Resource, ...] = (
    Resource("", ("v1",), "namespaces", "Namespace", False, short_names=("ns",)),
    Resource("", ("v1",), "nodes", "Node", False, short_names=("no",)),
    Resource("", ("v1",), "pods", "Pod", True, short_names=("po",)),
    Resource("", ("v1",), "services", "Service", True, short_names=("svc",)),
    Resource("", ("v1",), "replicationcontrollers", "ReplicationController", True,
             short_names=("rc",)),
    Resource("", ("v1",), "endpoints", "Endpoints", True, short_names=("ep",)),
    Resource("", ("v1",), "secrets", "Secret", True),
    Resource("", ("v1",), "configmaps", "ConfigMap", True, short_names=("cm",)),
    Resource("", ("v1",), "serviceaccounts", "ServiceAccount", True, short_names=("sa",)),
    Resource("", ("v1",), "events", "Event", True, short_names=("ev",)),
    Resource("apps", ("v1",), "deployments", "Deployment", True, short_names=("deploy",)),
    Resource("apps", ("v1",), "replicasets", "ReplicaSet", True, short_names=("rs",)),
    Resource("apps", ("v1",), "statefulsets", "StatefulSet", True, short_names=("sts",)),
    Resource("apps", ("v1",), "daemonsets", "DaemonSet", True, short_names=("ds",)),
    Resource("apps", ("v1",), "controllerrevisions", "ControllerRevision", True),
    Resource("batch", ("v1",), "jobs", "Job", True),
    Resource("batch", ("v1",), "cronjobs", "CronJob", True, short_names=("cj",)),
    Resource("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice", True),
    Resource("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy", True,
             short_names=("netpol",)),
    Resource("networking.k8s.io", ("v1",), "ingresses", "Ingress", True, short_names=("ing",)),
    Resource("admissionregistration.k8s.io", ("v1",), "mutatingwebhookconfigurations",
             "MutatingWebhookConfiguration", False),
    Resource("admissionregistration.k8s.io", ("v1",), "validatingwebhookconfigurations",
             "ValidatingWebhookConfiguration", False),
    Resource("rbac.authorization.k8s.io", ("v1",), "clusterroles", "ClusterRole", False),
    Resource("apiextensions.k8s.io", ("v1",), "customresourcedefinitions",
             "CustomResourceDefinition", False, short_names=("crd", "crds")),
    # custom resources: served only when their group is installed in the fixture
    Resource("dynatrace.com", ("v1beta6", "v1beta5", "v1beta4", "v1beta3"), "dynakubes",
             "DynaKube", True, builtin=False, short_names=("dk",)),
    Resource("dynatrace.com", ("v1alpha2", "v1alpha1"), "edgeconnects", "EdgeConnect", True,
             builtin=False, short_names=("ec",)),
    Resource("policy.networking.k8s.io", ("v1alpha1",), "adminnetworkpolicies",
             "AdminNetworkPolicy", False, builtin=False, short_names=("anp",)),
    Resource("policy.networking.k8s.io", ("v1alpha1",), "baselineadminnetworkpolicies",
             "BaselineAdminNetworkPolicy", False, builtin=False, short_names=("banp",)),
    Resource("cilium.io", ("v2",), "ciliumnetworkpolicies", "CiliumNetworkPolicy", True,
             builtin=False, short_names=("cnp",)),
    Resource("cilium.io", ("v2",), "ciliumclusterwidenetworkpolicies",
             "CiliumClusterwideNetworkPolicy", False, builtin=False, short_names=("ccnp",)),
    Resource("policy.networking.k8s.io", ("v1alpha2",), "clusternetworkpolicies",
             "ClusterNetworkPolicy", False, builtin=False, short_names=("cnp",)),
    *(Resource(group, (version,), plural, kind, namespaced, builtin=False)
      for group, version in (("projectcalico.org", "v3"), ("crd.projectcalico.org", "v1"))
      for plural, kind, namespaced in (
          ("tiers", "Tier", False),
          ("networkpolicies", "NetworkPolicy", True),
          ("globalnetworkpolicies", "GlobalNetworkPolicy", False),
          ("stagednetworkpolicies", "StagedNetworkPolicy", True),
          ("stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", False),
          ("stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", True),
          ("networksets", "NetworkSet", True),
          ("globalnetworksets", "GlobalNetworkSet", False))),
)

BUILTIN_GROUPS = frozenset(r.group for r in RESOURCES if r.builtin)
CUSTOM_GROUPS = frozenset(r.group for r in RESOURCES if not r.builtin)


def by_kind(api_version: str, kind: str) -> Resource:
    """The resource of an object's apiVersion and kind; KeyError when the server lacks it."""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    version = api_version.rsplit("/", 1)[-1]
    for r in RESOURCES:
        if r.group == group and r.kind == kind and version in r.versions:
            return r
    raise KeyError(f"{api_version} {kind}")


def by_path(group: str, version: str, plural: str) -> Resource | None:
    for r in RESOURCES:
        if r.group == group and r.plural == plural and version in r.versions:
            return r
    return None
