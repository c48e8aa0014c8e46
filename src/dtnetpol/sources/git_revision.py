"""Read manifests as they were at a git revision (for ``dtnetpol diff --git A..B``)."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from dtnetpol.errors import InputError


def parse_range(text: str) -> tuple[str, str]:
    """``A..B`` → (A, B); ``A`` alone means A..the working tree (B = "")."""
    old, sep, new = text.partition("..")
    if not old or (sep and not new):
        raise InputError(f"--git {text!r}: expected REV1..REV2 or REV")
    return old, new


def export_revision(revision: str, paths: list[str], dest: Path) -> list[str]:
    """Write ``paths`` as they are at ``revision`` below ``dest``; return the new paths.

    Uses ``git archive`` so nothing in the user's checkout is touched.
    """
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True,
                             capture_output=True, text=True).stdout.strip()
        prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], check=True,
                                capture_output=True, text=True).stdout.strip()
        rel = [str(Path(prefix) / p) for p in paths]
        blob = subprocess.run(["git", "-C", top, "archive", "--format=tar", revision, "--",
                               *rel], check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise InputError("--git needs the git command, which is not installed") from None
    except subprocess.CalledProcessError as e:
        msg = (e.stderr if isinstance(e.stderr, str) else e.stderr.decode(errors="replace"))
        first = msg.strip().splitlines()[0] if msg.strip() else "git failed"
        raise InputError(f"git revision {revision!r}: {first}") from None
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    return [str(dest / p) for p in rel]


def revision_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="dtnetpol-rev-")
