"""Every output format of ``dtnetpol check`` behind one call (``-o FORMAT``).

Each renderer is imported when its format is asked for: the HTML one alone (jinja2, the
flow picture) costs a tenth of a second of start-up, which a small check would spend
mostly importing."""

from __future__ import annotations

import os
from collections.abc import Sequence

from dtnetpol.check import CheckReport
from dtnetpol.model.policy import NetworkPolicy

FORMATS = ("table", "json", "yaml", "sarif", "md", "html", "dot")


def render_check(fmt: str, report: CheckReport, *, policies: Sequence[NetworkPolicy] = (),
                 dynakube_file: str | None = None, paths: Sequence[str] = (),
                 verbose: bool = False, colour: bool = False, show_fixes: bool = False) -> str:
    """The report in format ``fmt``.

    Args:
        policies: the cluster's NetworkPolicies (SARIF points at the deciding one).
        dynakube_file: where SARIF points when no policy is known.
        paths: the inputs, named in the HTML header.
        verbose: details for every flow, not only blocked and conditional ones (table, md).
        colour: ANSI colours in the table.
        show_fixes: the fix YAML in the table (the other formats always carry it).
    """
    if fmt in ("json", "yaml"):
        from dtnetpol.render import check_json
        from dtnetpol.render.data import data_text
        return data_text(fmt, check_json.check_json(report))
    if fmt == "sarif":
        from dtnetpol.render import check_sarif
        return check_sarif.check_sarif(report, policies=check_sarif.policy_locations(policies),
                                       root=os.getcwd(), fallback_file=dynakube_file)
    if fmt == "md":
        from dtnetpol.render import markdown
        return markdown.check_md(report, verbose=verbose)
    if fmt == "dot":
        from dtnetpol.render import dot
        return dot.check_dot(report)
    if fmt == "html":
        from dtnetpol.render import check_html
        return check_html.check_html(report, inputs=paths)
    if fmt == "table":
        from dtnetpol.render import check_table
        return check_table.check_table(report, colour=colour, verbose=verbose,
                                           show_fixes=show_fixes)
    raise ValueError(f"unknown format {fmt!r}")
