"""``dtnetpol check -o html``: one self-contained page (no network, works from ``file://``).

Summary, a picture of the Dynatrace flows laid out by Graphviz (inline SVG, edges coloured by
verdict and labelled with port and deciding policies), a filterable table of flows, and the
fix YAML with copy buttons. CSS and JavaScript are inline; a Content-Security-Policy allows
only that one script (by its hash), no fetches, no other origin.

Jinja2 autoescapes every value, so user data (names, label values in nearest misses) is text;
the SVG comes from :func:`dtnetpol.render.layout.layout_svg`, which strips anything active.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from dtnetpol import __version__
from dtnetpol.check import CheckReport, FlowResult
from dtnetpol.render.check_view import deciding_policies, details, headline
from dtnetpol.render.check_view import summary_line as summary_line
from dtnetpol.render.dot import check_dot
from dtnetpol.render.layout import layout_svg

_DATA = "data"


def _read(name: str) -> str:
    return resources.files("dtnetpol").joinpath(f"{_DATA}/{name}").read_text(encoding="utf-8")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)
    return env.from_string(_read("check-report.html.j2"))


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _anchor(i: int, r: FlowResult) -> str:
    return f"fix-{i}-" + re.sub(r"[^a-z0-9-]+", "-", r.id.lower()).strip("-")


@dataclass(frozen=True)
class _Row:
    id: str
    verdict: str
    blocked_by: str | None
    required: bool
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    port: str
    policies: tuple[str, ...]
    details: tuple[str, ...]
    fix_id: str | None


@dataclass(frozen=True)
class _Fix:
    ids: tuple[str, ...]
    verdict: str
    anchor: str
    yaml: str


def _names(text: str) -> tuple[str, ...]:
    """A list of ends (``a, b, c (+1)``) as names, each shown whole."""
    return tuple(text.split(", "))


def _context(report: CheckReport, svg: str, inputs: Sequence[str]) -> dict[str, Any]:
    rows: list[_Row] = []
    fixes: dict[str, _Fix] = {}
    for i, r in enumerate(report.results):
        anchor = None
        if r.fix:
            # Each fix once: flows served by the same policies share one block.
            known = fixes.get(r.fix)
            anchor = known.anchor if known is not None else _anchor(i, r)
            fixes[r.fix] = _Fix((*(known.ids if known else ()), r.id), r.verdict.value,
                                anchor, r.fix)
        lines = tuple(details(r, symptoms=None))
        rows.append(_Row(r.id, r.verdict.value, r.blocked_by, r.required, _names(r.source),
                         _names(r.destination), r.port_text, deciding_policies(r), lines,
                         anchor))
    script = _read("check-report.js")
    return {
        "version": __version__, "inputs": list(inputs), "headline": _capital(headline(report)),
        "summary_line": summary_line(report), "summary": report.summary(),
        "warnings": list(report.warnings), "flows": rows, "fixes": list(fixes.values()),
        "svg": Markup(svg), "css": Markup(_read("check-report.css")),
        "script": Markup(script), "script_hash": script_hash(script),
    }


def check_html(report: CheckReport, *, inputs: Sequence[str] = (), svg: str | None = None) -> str:
    """The report page. ``svg`` is the laid-out flow graph (default: Graphviz on
    :func:`dtnetpol.render.dot.check_dot`); ``inputs`` are the paths named in the header."""
    picture = svg if svg is not None else layout_svg(check_dot(report))
    return _template().render(**_context(report, picture, inputs))
