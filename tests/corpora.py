"""Where the shared corpora are, and the one message every test gives when they are not.

The corpora (DynaKube samples, the operator's assets, the SARIF schema) are optional: they
are read from ``../shared/corpora`` beside the repository, or from ``$DTNETPOL_SHARED/corpora``
(a checkout elsewhere, e.g. a git worktree), and never copied into the repository. A test
that needs one skips with :func:`missing`'s reason when it is not there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# $DTNETPOL_SHARED, else ../shared beside the checkout (or two levels up, from a git worktree
# kept in a folder beside the main checkout).
SHARED = Path(os.environ.get("DTNETPOL_SHARED") or next(
    (base / "shared" for base in (REPO.parent, REPO.parent.parent)
     if (base / "shared" / "corpora").is_dir()), REPO.parent / "shared"))
CORPORA = SHARED / "corpora"


def corpus(*parts: str) -> Path:
    """A path inside the shared corpora (which may be absent)."""
    return CORPORA.joinpath(*parts)


def missing(path: Path) -> str:
    """The skip reason for an absent corpus file or folder."""
    try:
        name = str(path.relative_to(CORPORA))
    except ValueError:
        name = str(path)
    return (f"shared corpus {name} not found in {CORPORA}: the corpora are optional; put "
            "them in ../shared/corpora beside the repository or set DTNETPOL_SHARED")


def need(path: Path) -> Path:
    """``path``, or skip the test with :func:`missing`'s reason."""
    if not path.exists():
        pytest.skip(missing(path))
    return path
