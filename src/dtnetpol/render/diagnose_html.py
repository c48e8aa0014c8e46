"""``dtnetpol diagnose -o html``: check's report page with the evidence inline.

The page is :mod:`dtnetpol.render.check_html`'s (same template, CSP, flow picture, fixes);
each flow with symptoms carries what was seen, the cause and the next commands in its
details, and the headline says what diagnose found. Jinja2 escapes all of it as text.
"""

from __future__ import annotations

from dataclasses import replace

from dtnetpol.check import CheckReport
from dtnetpol.diagnose import Diagnosis
from dtnetpol.render import check_html
from dtnetpol.render.diagnose import headline, read_line
from dtnetpol.render.dot import check_dot
from dtnetpol.render.layout import layout_svg


def diagnose_html(diag: Diagnosis, report: CheckReport, *, inputs: tuple[str, ...] = (),
                  svg: str | None = None) -> str:
    picture = svg if svg is not None else layout_svg(check_dot(report))
    ctx = check_html._context(report, picture, inputs)
    by_flow = {f.flow: f for f in diag.findings}
    rows = []
    for row in ctx["flows"]:
        f = by_flow.get(row.id)
        if f is None:
            rows.append(row)
            continue
        seen = tuple(
            f"seen ({e.kind.value} {e.object}{' [' + e.container + ']' if e.container else ''}"
            f"{', ' + e.time if e.time else ''}): \u201c{e.text}\u201d" for e in f.evidence)
        extra = (*seen, f"cause: {f.cause}", *(f"next: $ {c}" for c in f.next))
        rows.append(replace(row, details=extra + tuple(row.details)))
    # Flows with symptoms first, as in the table.
    order = {f.flow: i for i, f in enumerate(diag.findings)}
    rows.sort(key=lambda r: order.get(r.id, len(order)))
    ctx["flows"] = rows
    ctx["headline"] = f"diagnose: {headline(diag)}"
    ctx["warnings"] = [*ctx["warnings"], read_line(diag),
                       *(n.text for n in diag.notes)]
    return check_html._template().render(**ctx)
