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
    page.events.clear()
    page.open(report)
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
    shown = page.evaluate("Array.from(document.querySelectorAll('#flows tbody tr'))"
                          ".filter(r => !r.hidden).map(r => r.querySelector('code')"
                          ".textContent)")
    assert shown == ["dns-from-operator", "dns-from-webhook", "dns-from-csi",
                     "dns-from-activegate"]
    page.evaluate("document.querySelector('button.copy').click()")
    page.settle(0.2)
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
    page.events.clear()
    page.open(report)
    assert page.dialogs == [], "a script from user data ran"
    assert page.errors() == []
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    body = page.evaluate("document.body.innerText")
    assert DK_NAME in body and WORKLOAD_NAME in body
    svg_text = page.evaluate("document.querySelector('#graph svg').textContent")
    assert f"OneAgent of {DK_NAME}" in svg_text
    fix = page.evaluate("document.getElementById('fix-all').textContent")
    assert DK_NAME in fix
    page.screenshot(ARTIFACTS / "html-report-hostile.png", height=900)
    (ARTIFACTS / "html-report-hostile.console.json").write_text(
        json.dumps(page.console_messages(), indent=2), encoding="utf-8")
