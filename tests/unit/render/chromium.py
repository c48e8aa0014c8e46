"""A tiny Chrome DevTools Protocol driver for headless Chromium (Debian's ``chromium``).

Why not Playwright: its Python package brings a Node driver (~100 MB) and wants to download
its own browser builds; CDP over one websocket (``websocket-client``, pure Python, ~60 kB)
is all a smoke test needs: open a file, collect console errors, exceptions and dialogs,
evaluate an expression, take a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import websocket

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1400,1000", "--remote-debugging-port=0",
         "--force-device-scale-factor=1", "--font-render-hinting=none")
#: the CSS viewport every page gets unless a test sets another (Page.viewport)
VIEWPORT = (1400, 1000)


def chromium_binary() -> str | None:
    """``$DTNETPOL_CHROMIUM``, else chromium (or chromium-browser) on PATH."""
    configured = os.environ.get("DTNETPOL_CHROMIUM")
    if configured:
        return configured if os.path.isfile(configured) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One headless Chromium with one page, driven over CDP."""

    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.binary = binary
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self.dialogs: list[str] = []
        self._id = 0

    def __enter__(self) -> Page:
        self._dir = tempfile.mkdtemp(prefix="dtnetpol-chromium-")
        self._proc = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._dir) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if self._proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self._proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = websocket.create_connection(page["webSocketDebuggerUrl"],
                                               timeout=self.timeout, suppress_origin=True)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.viewport()
        return self

    def viewport(self, width: int = VIEWPORT[0], height: int = VIEWPORT[1]) -> None:
        """A fixed CSS viewport and a device scale of 1, whatever the window or screen: layout
        and screenshots do not depend on the machine."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._ws.close()
        finally:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            shutil.rmtree(self._dir, ignore_errors=True)

    def _handle(self, msg: dict[str, Any]) -> None:
        self.events.append(msg)
        if msg.get("method") == "Page.javascriptDialogOpening":
            self.dialogs.append(str(msg["params"].get("message")))
            self._id += 1
            self._ws.send(json.dumps({"id": self._id, "method": "Page.handleJavaScriptDialog",
                                      "params": {"accept": True}}))

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a CDP method and return its result (events meanwhile are collected)."""
        self._id += 1
        me = self._id
        self._ws.send(json.dumps({"id": me, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == me:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            if "method" in msg:
                self._handle(msg)

    def wait_for(self, event: str, seconds: float, since: int = 0) -> None:
        """Wait for ``event``, counting only events from ``self.events[since:]`` (an event of
        an earlier page must not end the wait: that race made a test flaky once)."""
        deadline = time.monotonic() + seconds
        if any(e.get("method") == event for e in self.events[since:]):
            return
        while time.monotonic() < deadline:
            self._ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = json.loads(self._ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in msg:
                self._handle(msg)
                if msg["method"] == event:
                    self._ws.settimeout(self.timeout)
                    return
        self._ws.settimeout(self.timeout)
        raise TimeoutError(f"no {event} within {seconds} s")

    def settle(self, seconds: float) -> None:
        """Collect events for ``seconds`` (scripts that run after load)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = json.loads(self._ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in msg:
                self._handle(msg)
        self._ws.settimeout(self.timeout)

    def open(self, path: Path, ready: str = "true") -> None:
        """Load ``path`` and return once it is loaded, its fonts are ready and the JavaScript
        expression ``ready`` is true (the page's own scripts have run): no fixed sleeps.
        The events of earlier pages are dropped first."""
        self.events.clear()
        self.dialogs.clear()
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired", self.timeout)
        self.wait_until("document.readyState === 'complete'")
        self.send("Runtime.evaluate", expression="document.fonts.ready.then(() => true)",
                  awaitPromise=True, returnByValue=True)
        self.wait_until(ready)

    def wait_until(self, expression: str, seconds: float | None = None) -> Any:
        """Evaluate ``expression`` until it is truthy (events meanwhile are collected);
        its value, or TimeoutError after ``seconds`` (default: the page timeout)."""
        deadline = time.monotonic() + (self.timeout if seconds is None else seconds)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression!r} still false after the timeout")
            time.sleep(0.02)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (CSP violations too)."""
        out: list[str] = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')} "
                           f"{p['exceptionDetails'].get('exception', {}).get('description')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                   for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} ({p['entry'].get('url')})")
        return out

    def console_messages(self) -> list[str]:
        return [" ".join(str(a.get("value")) for a in e["params"].get("args", []))
                for e in self.events if e.get("method") == "Runtime.consoleAPICalled"]

    def screenshot(self, path: Path, *, height: int | None = None) -> None:
        """A PNG of the page from the top: ``height`` CSS pixels (default: all of it)."""
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        full = int(size["height"])
        clip = {"x": 0, "y": 0, "width": size["width"],
                "height": min(full, height) if height else full, "scale": 1}
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip=clip)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
