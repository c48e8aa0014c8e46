"""Run ``generate``/``fix`` the way dtnetpol's CLI does: one-line errors, exit codes."""

from __future__ import annotations

import argparse
import io
from typing import NoReturn

from dtnetpol.commands import fix as fix_command
from dtnetpol.commands import generate as generate_command
from dtnetpol.errors import DtnetpolError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise SystemExit(2)


def _wired() -> bool:
    from dtnetpol import cli

    sub = next(a for a in cli.build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    return "generate" in sub.choices and "fix" in sub.choices


def run(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr); through dtnetpol.cli.main once it knows the commands."""
    out, err = io.StringIO(), io.StringIO()
    if _wired():
        from dtnetpol import cli

        return cli.main(argv, out, err), out.getvalue(), err.getvalue()
    parser = _Parser(prog="dtnetpol")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    generate_command.register(sub)
    fix_command.register(sub)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0), "", ""
    try:
        code = args.run(args, out, err)
    except DtnetpolError as e:
        print(f"dtnetpol: error: {e}", file=err)
        code = e.exit_code
    return code, out.getvalue(), err.getvalue()
