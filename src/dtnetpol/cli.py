"""Command line: the top parser, one subcommand per module of :mod:`dtnetpol.commands`.

Exit codes: 0 success (and for can-reach: allowed); 1 a finding the command was asked to
fail on (blocked connection, blocked required flow, lint finding at --fail-on); 2 bad input
or usage. Reports go to stdout, warnings and progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any, NoReturn, TextIO, cast

from dtnetpol import __version__
from dtnetpol.commands._help import HelpFormatter, examples
from dtnetpol.errors import DtnetpolError
from dtnetpol.render.console import use_colour
from dtnetpol.safe_text import SafeStream

EXIT_OK, EXIT_FINDING, EXIT_INPUT = 0, 1, 2

# Every command with its one-line help, in the order ``dtnetpol --help`` lists them (the
# Dynatrace check first). A command's module (``dtnetpol.commands.<module>``) is imported only
# when that command runs: importing all of them (the engine, lint, Calico's grammar, ...) took
# half a second before ``--version`` could answer. ``tests/unit/test_cli.py`` checks these
# lines against each module's own parser.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "which Dynatrace flows the policies block, why, and the fix"),
    "diagnose": ("diagnose", "which Dynatrace flow the cluster's symptoms point at, and why"),
    "probe": ("probe", "prove verdicts with short-lived probe pods (writes to the cluster)"),
    "fix": ("fix", "new policies that unblock the required Dynatrace flows"),
    "generate": ("generate", "least-privilege policies for the DynaKube's flows"),
    "diff": ("diff", "connections that appear and disappear between two policy sets (OLD "
             "NEW, or --git REV1..REV2 PATH...), and Dynatrace flows that change verdict"),
    "lint": ("lint", "find NetworkPolicies that are invalid or do not do what they seem to"),
    "rules": ("rules", "list the lint rules, or print one rule's doc"),
    "can-reach": ("can_reach", "can SRC open a connection to DST (on a port)?"),
    "explain": ("explain", "per workload: selecting policies, isolation, what each direction "
                "allows"),
    "connlist": ("connlist", "every allowed connection between workloads and external "
                 "address ranges"),
    "snapshot": ("snapshot", "save what live mode reads from the cluster as files "
                 "(read-only)"),
    "rbac": ("rbac", "print the read-only RBAC (ServiceAccount, ClusterRole, binding) that "
             "live mode needs"),
    "completion": ("completion", "print a shell completion script (bash, zsh, fish)"),
}


def command_module(name: str) -> ModuleType:
    """The module of command ``name`` (``can-reach`` → ``dtnetpol.commands.can_reach``)."""
    return importlib.import_module(f"dtnetpol.commands.{COMMANDS[name][0]}")


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top parser with every subcommand; each keeps its own parser in ``parser``.

    With ``only`` (a command name), only that command's module is imported and its parser
    built; the others are listed by name and help, as ``dtnetpol --help`` shows them.
    """
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
    lazy = only is not None
    for name, (_, summary) in COMMANDS.items():
        if not lazy or name == only:
            command_module(name).register(sub)
        else:
            sub.add_parser(name, help=summary)
    for p in sub.choices.values():
        # Each command's own parser (for its usage on an unknown flag), and how to build the
        # whole CLI (completion writes its scripts from it) without importing cli upward.
        p.set_defaults(parser=p, whole_cli=build_parser)
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
    # Importing the command (thousands of functions, classes and tables, no cycle worth
    # collecting) ran 40 collections: a twentieth of a check on a small cluster.
    with _collector_paused():
        return _main(argv, out, err)


def _main(argv: Sequence[str] | None, out: TextIO | None, err: TextIO | None) -> int:
    out = out or sys.stdout
    # Every text from the input reaches the user through these (dtnetpol.safe_text).
    err = cast(TextIO, SafeStream(err or sys.stderr))
    args_in = sys.argv[1:] if argv is None else list(argv)
    # Only the command being run is built (and imported); "" builds none of them.
    parser = build_parser(args_in[0] if args_in and args_in[0] in COMMANDS else "")
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
    from dtnetpol.sources.yaml_load import DEFAULT_MAX_INPUT_BYTES, max_input_bytes

    limit = max_input_bytes.set(getattr(args, "max_input_size", DEFAULT_MAX_INPUT_BYTES))
    try:
        # .dtnetpol.yaml fills what the flags left unsaid (imported here: it needs lint's
        # configuration, which --version and --help never do)
        from dtnetpol.commands._settings import apply_settings
        apply_settings(args)
        return run(args, out, err)
    except DtnetpolError as e:
        # several input errors: one line each. Split on newlines only: splitlines() would
        # also split on a carriage return or form feed that came from the input (a label key
        # "\r"), leaving a line that names no file.
        for line in str(e).split("\n"):
            print(f"dtnetpol: error: {line}", file=err)
        return e.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("dtnetpol: interrupted", file=err)
        return 130
    finally:
        max_input_bytes.reset(limit)


def entry() -> NoReturn:
    code = main()
    # The process ends here. Shutting down, the interpreter runs the cyclic collector over
    # every object left (the modules, the cluster, the report), which reference counting
    # frees as well: frozen, they are skipped (a fortieth of a check on a small cluster).
    gc.freeze()
    sys.exit(code)
