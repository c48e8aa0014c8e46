"""The CLI run in-process, as the command-line tests call it."""

from __future__ import annotations

import io

from dtnetpol.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    """``dtnetpol ARGV``: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()
