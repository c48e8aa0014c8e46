"""Progress goes to stderr only when stderr is a terminal."""

from __future__ import annotations

import io
import os
import pty
import time
from pathlib import Path

from dtnetpol.cli import main
from dtnetpol.render.progress import progress

REPO = Path(__file__).resolve().parents[2]


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--skip-invalid", str(REPO / "examples" / "cluster"), "-o", "json"],
                out=out, err=err)
    assert code == 1
    assert all(line.startswith("warning: ") for line in err.getvalue().splitlines())


def test_progress_draws_on_a_terminal() -> None:
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as tty, progress(tty, "loading manifests") as status:
        status.update("checking 23 flows")
        time.sleep(0.5)  # the status line is drawn by rich's refresh thread (12.5 per second)
    chunks = []
    while True:  # a pty hands the bytes over in pieces; read until the closed end says EIO
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    written = b"".join(chunks).decode(errors="replace")
    assert "checking 23 flows" in written or "loading manifests" in written


def test_progress_is_silent_on_a_pipe() -> None:
    err = io.StringIO()
    with progress(err, "loading") as status:
        status.update("more")
    assert err.getvalue() == ""
