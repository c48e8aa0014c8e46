"""The .dtnetpol.yaml configuration: checked against the catalogue, errors with lines."""

from __future__ import annotations

import ipaddress

import pytest

from dtnetpol.errors import InputError
from dtnetpol.lint.finding import Severity

from .helpers import config


def test_parses_every_key() -> None:
    cfg = config("""
    disable: [NPL015, and-or-confusion]
    severity: {broad-egress: error}
    ignore:
    - path: "legacy/**"
      rules: [NPL013]
    - path: "*.json"
    options:
      egress-without-dns: {port: 5353}
    pod-cidrs: [10.244.0.0/16]
    service-cidrs: [10.96.0.0/12]
    apiserver: {addresses: [172.18.0.2], port: 6443}
    """)
    assert cfg.disable == {"NPL015", "NPL009"}
    assert cfg.severity == {"NPL013": Severity.ERROR}
    assert [(i.pattern, set(i.rules)) for i in cfg.ignore] == [("legacy/**", {"NPL013"}),
                                                              ("*.json", set())]
    assert cfg.options["NPL006"] == {"namespace": "kube-system",
                                     "pod-labels": {"k8s-app": "kube-dns"}, "port": 5353}
    assert cfg.facts.pod_cidrs == (ipaddress.ip_network("10.244.0.0/16"),)
    assert cfg.facts.apiserver_port == 6443


@pytest.mark.parametrize(("text", "line", "path", "message"), [
    ("disable: [NPL001, NPL999]\n", 1, "disable[1]", "unknown rule 'NPL999'"),
    ("severity:\n  no-such-rule: error\n", 2, "severity[no-such-rule]", "unknown rule"),
    ("severity:\n  NPL001: fatal\n", 2, "severity[NPL001]", "not one of error, warning"),
    ("ignore:\n- path: a\n  rules: [bogus]\n", 3, "ignore[0][rules][0]", "unknown rule"),
    ("options:\n  NPL006: {colour: red}\n", 2, "options[NPL006][colour]", "no option"),
    ("options:\n  NPL006: {port: '53'}\n", 2, "options[NPL006][port]", "an integer"),
    ("pod-cidr: [10.0.0.0/8]\n", 1, "pod-cidr", "unknown key"),
    ("pod-cidrs: [10.0.0/8]\n", 1, "pod-cidrs[0]", "not an IP address or CIDR"),
])
def test_errors_name_file_line_and_field(text: str, line: int, path: str,
                                         message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        config(text, file="cfg.yaml")
    loc = info.value.location
    assert loc is not None
    assert (loc.file, loc.line, loc.path) == ("cfg.yaml", line, path)


def test_an_empty_file_is_the_default() -> None:
    assert config("").disable == frozenset()
