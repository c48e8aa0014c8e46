"""A local HTTPS server speaking the Kubernetes API over fixture clusters (tests and bench).

    from tests.apiserver import ApiServer, running_example

    objects, groups = running_example()
    with ApiServer(objects, installed=groups) as server:
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
        ...                                  # dtnetpol / kubectl against it
        assert {r.method for r in server.requests} == {"GET"}

See :mod:`tests.apiserver._server` for what it speaks and the faults it can inject.
"""

from tests.apiserver._example import (
    EXAMPLE,
    example_logs,
    example_manifests,
    running_cluster,
    running_example,
)
from tests.apiserver._resources import RESOURCES, Resource, by_kind, by_path
from tests.apiserver._server import TOKEN, USER, VERSION_INFO, ApiServer, Faults, Request
from tests.apiserver._store import Store, pod_template_hash, safe_suffix, uid_of
from tests.apiserver._tls import NoOpenSSL, self_signed

__all__ = [
    "EXAMPLE",
    "RESOURCES",
    "TOKEN",
    "USER",
    "VERSION_INFO",
    "ApiServer",
    "Faults",
    "NoOpenSSL",
    "Request",
    "Resource",
    "Store",
    "by_kind",
    "by_path",
    "example_logs",
    "example_manifests",
    "pod_template_hash",
    "running_cluster",
    "running_example",
    "safe_suffix",
    "self_signed",
    "uid_of",
]
