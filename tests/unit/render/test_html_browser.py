"""The HTML report in a real headless Chromium: it renders without a console error, its
filter works, a screenshot is kept, and markup in user data is shown as text, never run.

Needs Debian's ``chromium`` and ``graphviz`` (.ci/run installs both) and ``websocket-client``
(test extra); skipped with the reason when one is missing. Screenshots go to
``$DTNETPOL_ARTIFACTS`` (default ``tests/artifacts/``, git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import DK_NAME, REPO, WORKLOAD_NAME, hostile_cluster, run_cli

pytest.importorskip("websocket", reason="websocket-client (test extra) is not installed")

from .chromium import Page, chromium_binary

ARTIFACTS = Path(os.environ.get("DTNETPOL_ARTIFACTS", REPO / "tests" / "artifacts"))


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed (apt-get install graphviz; .ci/run does)")
    with Page(binary) as p:
        yield p


#: the report's script has run: it writes the flow count
READY = "(document.getElementById('count') || {}).textContent !== ''"


def _report(tmp_path: Path, cluster: Path, name: str) -> Path:
    code, out, err = run_cli("check", "--skip-invalid", str(cluster), "-o", "html")
    assert code == 1, err
    path = tmp_path / name
    path.write_text(out, encoding="utf-8")
    return path


def test_report_renders_filters_and_is_screenshotted(page: Page, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    report = _report(tmp_path, Path("examples/cluster"), "report.html")
    page.open(report, READY)
    assert page.errors() == []
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('#graph svg g.edge').length") >= 23
    assert page.evaluate("document.getElementById('count').textContent") == \
        "showing 23 of 23 flows"
    page.evaluate("var s = document.getElementById('filter-verdict'); s.value = 'blocked';"
                  "s.dispatchEvent(new Event('change'))")
    assert page.evaluate("document.getElementById('count').textContent") == \
        "showing 15 of 23 flows"
    page.evaluate("var t = document.getElementById('filter-text'); t.value = 'dns-from';"
                  "t.dispatchEvent(new Event('input'))")
    shown = page.evaluate("Array.from(document.querySelectorAll('#flows tbody tr.flow'))"
                          ".filter(r => !r.hidden).map(r => r.querySelector('code')"
                          ".textContent)")
    assert shown == ["dns-from-operator", "dns-from-webhook", "dns-from-csi",
                     "dns-from-activegate"]
    page.evaluate("document.querySelector('button.copy').click()")
    # the copy handler may answer after a promise: wait for its answer, not for a time
    page.wait_until("document.querySelector('button.copy').getAttribute('data-label') !== null")
    assert page.errors() == []
    page.evaluate("var t = document.getElementById('filter-text'); t.value = '';"
                  "t.dispatchEvent(new Event('input'));"
                  "var s = document.getElementById('filter-verdict'); s.value = 'all';"
                  "s.dispatchEvent(new Event('change'))")
    shot = ARTIFACTS / "html-report.png"
    page.screenshot(shot, height=1400)
    full = ARTIFACTS / "html-report-full.png"
    page.screenshot(full)
    for png in (shot, full):
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_markup_in_user_data_is_text_and_never_runs(page: Page, tmp_path: Path) -> None:
    report = _report(tmp_path, hostile_cluster(tmp_path), "hostile.html")
    page.open(report, READY)
    assert page.dialogs == [], "a script from user data ran"
    assert page.errors() == []
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    body = page.evaluate("document.body.innerText")
    assert DK_NAME in body and WORKLOAD_NAME in body
    svg_text = page.evaluate("document.querySelector('#graph svg').textContent")
    assert f"OneAgent of {DK_NAME}" in svg_text
    fix = page.evaluate("Array.from(document.querySelectorAll('code.fix-yaml'))"
                        ".map(c => c.textContent).join('')")
    assert DK_NAME in fix
    page.screenshot(ARTIFACTS / "html-report-hostile.png", height=900)
    (ARTIFACTS / "html-report-hostile.console.json").write_text(
        json.dumps(page.console_messages(), indent=2), encoding="utf-8")


@pytest.mark.parametrize("width", [1280, 1920])
def test_layout_at_common_widths(page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 width: int) -> None:
    """No column squeezed letter by letter, no sideways scrolling, "why" opens a row as wide
    as the table, each fix once. The screenshots (tests/artifacts/html-report-WIDTH.png) are
    what docs/html-report.png and docs/html-report-1920.png were copied from."""
    monkeypatch.chdir(REPO)
    report = _report(tmp_path, Path("examples/cluster"), f"report-{width}.html")
    page.viewport(width, 1000)
    try:
        page.open(report, READY)
        assert page.errors() == []
        wrap = page.evaluate("document.querySelector('.table').clientWidth")
        assert page.evaluate("document.getElementById('flows').scrollWidth") <= wrap
        # every short cell on one line: verdict badge, flow id, required, port
        lines = page.evaluate(
            "Array.from(document.querySelectorAll('#flows .badge, #flows tr.flow code, .need'))"
            ".filter(e => e.getClientRects().length > 1 || e.getBoundingClientRect().height"
            " > 2 * parseFloat(getComputedStyle(e).lineHeight || 20)).length")
        assert lines == 0
        words = page.evaluate(
            "Array.from(document.querySelectorAll('#flows .name'))"
            ".filter(e => e.getClientRects().length > 1).map(e => e.textContent)")
        assert words == []
        page.evaluate("document.querySelector('button.why').click()")
        row = page.evaluate("(function () { var r = document.querySelector('tr.why-row');"
                            " return [r.hidden, Math.round(r.getBoundingClientRect().width),"
                            " Math.round(document.getElementById('flows')"
                            ".getBoundingClientRect().width)]; })()")
        assert row[0] is False and row[1] == row[2]
        fixes = page.evaluate("Array.from(document.querySelectorAll('code.fix-yaml'))"
                              ".map(c => c.textContent)")
        assert fixes and len(fixes) == len(set(fixes))
        assert page.evaluate("document.body.innerText.split('kind: NetworkPolicy').length - 1") \
            == sum(f.count("kind: NetworkPolicy") for f in fixes)
        page.evaluate("document.querySelector('button.why').click()")
        shot = ARTIFACTS / f"html-report-{width}.png"
        page.screenshot(shot, height=1500)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        page.viewport()
