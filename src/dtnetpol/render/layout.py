"""Graph layout by Graphviz: DOT in, a clean inline ``<svg>`` element out.

Graphviz's ``dot`` program (Debian package ``graphviz``) does the layout; it is looked up on
``PATH`` (or ``$DTNETPOL_DOT``). When it is missing, :class:`LayoutError` says so in one line
and the CLI exits 2.

The SVG Graphviz writes is parsed and written again: the XML prolog, DOCTYPE and comments
are dropped, and anything that could run or fetch (``<script>``, ``<foreignObject>``,
``on*`` attributes, links that are not ``#fragments``) is removed, so the element can be
inlined into a page that must work offline and never run user data. Graphviz already writes
every label as XML text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

from dtnetpol.errors import DtnetpolError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_TIMEOUT_S = 120
_DROP = {"script", "foreignObject", "iframe", "object", "embed", "image", "use"}


class LayoutError(DtnetpolError):
    """Graphviz is missing or failed."""

    def __str__(self) -> str:
        return self.message


def dot_program() -> str | None:
    """The ``dot`` executable: ``$DTNETPOL_DOT`` if set, else ``dot`` on PATH."""
    configured = os.environ.get("DTNETPOL_DOT")
    if configured:
        return configured if os.path.isfile(configured) else None
    return shutil.which("dot")


def layout_svg(dot_source: str) -> str:
    """Lay out ``dot_source`` with Graphviz and return a sanitised ``<svg>`` element.

    Raises:
        LayoutError: Graphviz is not installed, timed out, or rejected the graph.
    """
    program = dot_program()
    if program is None:
        raise LayoutError("the HTML report needs Graphviz's 'dot' program to lay out the "
                          "graph: install it (apt-get install graphviz, brew install "
                          "graphviz) or set DTNETPOL_DOT to its path")
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_source.encode("utf-8"),
                              capture_output=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise LayoutError(f"Graphviz ({program}) failed: {e}") from None
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[0]
        raise LayoutError(f"Graphviz ({program}) failed: {first}")
    return sanitise_svg(done.stdout.decode("utf-8"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sanitise_svg(text: str) -> str:
    """The ``<svg>`` element of ``text`` without prolog, scripts, handlers or outside links."""
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as e:
        raise LayoutError(f"Graphviz wrote SVG that does not parse: {e}") from None
    if _local(root.tag) != "svg":
        raise LayoutError("Graphviz did not write an <svg> document")
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or _local(child.tag) in _DROP:
                parent.remove(child)
    for el in root.iter():
        for name in list(el.attrib):
            local = _local(name).lower()
            value = el.attrib[name]
            if local.startswith("on") or (local == "href" and not value.startswith("#")):
                del el.attrib[name]
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")
