"""``-o json`` and ``-o yaml``: the same document, as JSON or as YAML.

Every command whose output is data offers both (kubectl's habit); the YAML is the JSON
document dumped block-style, keys in the JSON's order, so a reader of one reads the other.
"""

from __future__ import annotations

import json

import yaml

DATA_FORMATS = ("json", "yaml")


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line strings (fix YAML) as literal blocks so they stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def data_text(fmt: str, json_text: str) -> str:
    """``json_text`` as it is for ``json``, as YAML for ``yaml``."""
    if fmt != "yaml":
        return json_text
    return yaml.dump(json.loads(json_text), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, default_flow_style=False, width=100)
