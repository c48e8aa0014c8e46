"""Progress goes to stderr only when stderr is a terminal."""

from __future__ import annotations

import io
import os
import pty
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
    written = os.read(leader, 65536).decode(errors="replace")
    os.close(leader)
    assert "checking 23 flows" in written or "loading manifests" in written


def test_progress_is_silent_on_a_pipe() -> None:
    err = io.StringIO()
    with progress(err, "loading") as status:
        status.update("more")
    assert err.getvalue() == ""
