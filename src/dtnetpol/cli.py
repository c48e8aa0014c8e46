"""Command line: the top parser, one subcommand per module of :mod:`dtnetpol.commands`.

Exit codes: 0 success (and for can-reach: allowed); 1 a finding the command was asked to
fail on (blocked connection, blocked required flow, lint finding at --fail-on); 2 bad input
or usage. Reports go to stdout, warnings and progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn, TextIO, cast

from dtnetpol import __version__
from dtnetpol.commands import (
    can_reach,
    check,
    completion,
    connlist,
    diagnose,
    diff,
    explain,
    fix,
    generate,
    lint,
    probe,
    rbac,
    rules,
    snapshot,
)
from dtnetpol.commands._help import HelpFormatter, examples
from dtnetpol.commands._settings import apply_settings
from dtnetpol.errors import DtnetpolError
from dtnetpol.render.console import use_colour
from dtnetpol.safe_text import SafeStream
from dtnetpol.sources.yaml_load import DEFAULT_MAX_INPUT_BYTES, max_input_bytes

EXIT_OK, EXIT_FINDING, EXIT_INPUT = 0, 1, 2

# In the order ``dtnetpol --help`` lists them: the Dynatrace check first.
COMMANDS = (check, diagnose, probe, fix, generate, diff, lint, rules, can_reach, explain,
            connlist, snapshot, rbac, completion)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The top parser with every subcommand; each keeps its own parser in ``parser``."""
    parser = _Parser(prog="dtnetpol", description="Kubernetes NetworkPolicy analysis that keeps "
                     "Dynatrace working. Run 'dtnetpol COMMAND --help' for a command's flags "
                     "and examples.", epilog=examples(
                         "dtnetpol check cluster/                 # which Dynatrace flows "
                         "the policies block",
                         "dtnetpol check cluster/ --show-fixes    # ... and the policies "
                         "that fix them",
                         "dtnetpol fix cluster/ --write fixes/    # write those policies",
                         "helm template ... | dtnetpol lint -     # lint rendered charts",
                         "dtnetpol diff --git main..HEAD policies/",
                         "source <(dtnetpol completion bash)"))
    parser.add_argument("-V", "--version", action="version", version=f"dtnetpol {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    for p in sub.choices.values():
        p.set_defaults(parser=p)
    parser.set_defaults(parser=parser)
    return parser


Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Run one command without the cyclic garbage collector.

    A command is one pass that builds large, acyclic structures (the cluster, the analyzer's
    caches, thousands of verdicts) which reference counting frees. With the collector on, its
    full collections walk everything built so far again and again: half the time of ``check``
    on a 150,000-pod cluster. Whatever cycle is left is collected once it is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Entry point; returns the exit code (``dtnetpol`` script calls sys.exit on it)."""
    out = out or sys.stdout
    # Every text from the input reaches the user through these (dtnetpol.safe_text).
    err = cast(TextIO, SafeStream(err or sys.stderr))
    parser = build_parser()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args, extra = parser.parse_known_args(argv)
            if extra:
                # The subcommand's usage, not the top parser's: the flag was given to it.
                args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as e:
        return int(e.code or 0)
    if args.command is None:
        parser.print_help(out)
        return EXIT_OK
    run: Command = args.run
    colour = use_colour(out) and getattr(args, "output", "table") == "table"
    out = cast(TextIO, SafeStream(out, keep_colour=colour))
    limit = max_input_bytes.set(getattr(args, "max_input_size", DEFAULT_MAX_INPUT_BYTES))
    try:
        apply_settings(args)   # .dtnetpol.yaml fills what the flags left unsaid
        with _collector_paused():
            return run(args, out, err)
    except DtnetpolError as e:
        print(f"dtnetpol: error: {e}", file=err)
        return e.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("dtnetpol: interrupted", file=err)
        return 130
    finally:
        max_input_bytes.reset(limit)


def entry() -> NoReturn:
    sys.exit(main())
