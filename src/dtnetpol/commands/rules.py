"""``dtnetpol rules``: the lint rules, one line each, or one rule's documentation."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.errors import UsageError
from dtnetpol.lint.registry import RuleSpec, UnknownRuleError, all_rules, get
from dtnetpol.render.data import DATA_FORMATS, data_text

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``rules`` to the CLI's subparsers."""
    r = subparsers.add_parser("rules", help="list the lint rules, or print one rule's doc",
                              description="Without ID: one line per rule. With ID (NPL004 "
                                          "or service-port-in-policy): its documentation.",
                              epilog=examples("dtnetpol rules", "dtnetpol rules NPL004",
                                              "dtnetpol rules service-port-in-policy -o yaml"))
    r.add_argument("rule", nargs="?", metavar="ID", help="a rule id or name")
    r.add_argument("-o", "--output", choices=("table", *DATA_FORMATS), default="table",
                   help="output format (default: table)")
    r.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol rules``."""
    if args.rule:
        try:
            spec = get(args.rule)
        except UnknownRuleError as e:
            raise UsageError(str(e)) from None
        if args.output in DATA_FORMATS:
            out.write(data_text(args.output, json.dumps(_rule_json(spec), indent=2) + "\n"))
        else:
            out.write(f"{spec.id} {spec.name} ({spec.severity.value}; inspects "
                      f"{_kinds(spec)})\n\n{spec.summary}\n\n{spec.body}\n")
        return EXIT_OK
    specs = all_rules()
    if args.output in DATA_FORMATS:
        out.write(data_text(args.output,
                            json.dumps([_rule_json(s) for s in specs], indent=2) + "\n"))
        return EXIT_OK
    width = max(len(s.name) for s in specs)
    kinds = max(len(_kinds(s)) for s in specs)
    for s in specs:
        out.write(f"{s.id}  {s.name:<{width}}  {s.severity.value:<7}  {_kinds(s):<{kinds}}  "
                  f"{s.summary}\n")
    return EXIT_OK


def _kinds(spec: RuleSpec) -> str:
    """The families of kinds a rule inspects: ``NetworkPolicy+Cilium``."""
    return "+".join(spec.kinds)


def _rule_json(spec: RuleSpec) -> dict[str, Any]:
    return {"id": spec.id, "name": spec.name, "severity": spec.severity.value,
            "kinds": list(spec.kinds), "summary": spec.summary, "options": dict(spec.default),
            "doc": spec.body}
