"""``dtnetpol completion bash|zsh|fish``: a shell completion script, written from the parser.

The script is generated from the same argparse parser the CLI runs, so every subcommand,
flag and choice (``-o`` formats, ``--fail-on`` levels, ``--platform`` names) completes as it
is today; flags that take a file complete file names, PATH arguments complete files and
directories.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from dtnetpol.commands._help import examples

EXIT_OK = 0
SHELLS = ("bash", "zsh", "fish")
PROGRAMS = ("dtnetpol", "kubectl-dtnetpol")

_EXAMPLES = examples(
    "source <(dtnetpol completion bash)                 # bash, this shell",
    "dtnetpol completion bash > /etc/bash_completion.d/dtnetpol",
    'dtnetpol completion zsh > "${fpath[1]}/_dtnetpol"   # zsh',
    "dtnetpol completion fish > ~/.config/fish/completions/dtnetpol.fish")


def register(subparsers: Any) -> None:
    """Add ``completion`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "completion", help="print a shell completion script (bash, zsh, fish)",
        description="Print the completion script for SHELL on stdout.", epilog=_EXAMPLES)
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(run=run)


@dataclass(frozen=True)
class Option:
    """One flag of a subcommand, as the completion scripts need it."""

    names: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...]
    files: bool          # the value is a file or directory


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    choices: tuple[str, ...]   # choices of a positional (completion's SHELL)
    paths: bool                # positional file/directory arguments


_FILE_METAVARS = {"FILE", "DIR", "PATH"}


def _short(text: str | None) -> str:
    first = (text or "").split("; ")[0].split(" (")[0].strip()
    return first[:70]


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """Every subcommand of ``parser`` with its flags, in the order ``--help`` lists them."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    out = []
    for name, p in sub.choices.items():
        options: list[Option] = []
        choices: tuple[str, ...] = ()
        paths = False
        for a in p._actions:
            if isinstance(a, argparse._HelpAction):
                continue
            if not a.option_strings:
                if a.choices:
                    choices = tuple(str(c) for c in a.choices)
                else:
                    paths = True
                continue
            takes = a.nargs != 0
            metavar = str(a.metavar or "")
            options.append(Option(tuple(a.option_strings), _short(a.help), takes,
                                  tuple(str(c) for c in a.choices or ()),
                                  takes and not a.choices and metavar in _FILE_METAVARS))
        out.append(Command(name, _short(helps.get(name)), tuple(options), choices, paths))
    return out


def bash(cmds: list[Command]) -> str:
    names = " ".join(c.name for c in cmds)
    lines = ["# bash completion for dtnetpol (dtnetpol completion bash)",
             "_dtnetpol() {",
             '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
             "    COMPREPLY=()",
             "    if [[ $COMP_CWORD -eq 1 ]]; then",
             f'        COMPREPLY=($(compgen -W "{names} -h --help -V --version" -- "$cur"))',
             "        return",
             "    fi",
             '    local opts="" files=1',
             '    case "${COMP_WORDS[1]}" in']
    for c in cmds:
        flags = " ".join(n for o in c.options for n in o.names)
        lines.append(f"    {c.name})")
        lines.append(f'        opts="{flags} -h --help"')
        if not c.paths:
            lines.append("        files=0")
        value_cases = [o for o in c.options if o.takes_value]
        if value_cases:
            lines.append('        case "$prev" in')
            for o in value_cases:
                pattern = "|".join(o.names)
                if o.choices:
                    words = " ".join(o.choices)
                    lines.append(f'            {pattern}) COMPREPLY=($(compgen -W "{words}" '
                                 '-- "$cur")); return;;')
                elif o.files:
                    lines.append(f'            {pattern}) COMPREPLY=($(compgen -f -- "$cur")); '
                                 'return;;')
                else:
                    lines.append(f"            {pattern}) return;;")
            lines.append("        esac")
        if c.choices:
            words = " ".join(c.choices)
            lines.append(f'        [[ $cur != -* ]] && COMPREPLY=($(compgen -W "{words}" '
                         '-- "$cur")) && return')
        lines.append("        ;;")
    lines += ["    esac",
              '    if [[ $cur == -* ]]; then',
              '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
              '    elif [[ $files == 1 ]]; then',
              '        COMPREPLY=($(compgen -f -- "$cur"))',
              "    fi",
              "}",
              f"complete -o filenames -o bashdefault -F _dtnetpol {' '.join(PROGRAMS)}", ""]
    return "\n".join(lines)


def _zsh_text(text: str) -> str:
    return re.sub(r"[\[\]:'\\`$]", "", text)


def _zsh_spec(o: Option) -> Iterator[str]:
    desc = _zsh_text(o.help)
    if o.choices:
        action = f":value:({' '.join(o.choices)})"
    elif o.files:
        action = ":file:_files"
    elif o.takes_value:
        action = ":value: "
    else:
        action = ""
    if len(o.names) > 1:
        group = " ".join(o.names)
        yield f"'({group})'{{{','.join(o.names)}}}'[{desc}]{action}'"
    else:
        yield f"'{o.names[0]}[{desc}]{action}'"


def zsh(cmds: list[Command]) -> str:
    lines = [f"#compdef {' '.join(PROGRAMS)}",
             "# zsh completion for dtnetpol (dtnetpol completion zsh)",
             "_dtnetpol() {",
             "    local -a commands",
             "    commands=("]
    lines += [f"        '{c.name}:{_zsh_text(c.help)}'" for c in cmds]
    lines += ["    )",
              "    if (( CURRENT == 2 )); then",
              "        _describe -t commands 'dtnetpol command' commands",
              "        return",
              "    fi",
              "    local cmd=$words[2]",
              "    shift words",
              "    (( CURRENT-- ))",
              "    case $cmd in"]
    for c in cmds:
        specs = [s for o in c.options for s in _zsh_spec(o)]
        if c.choices:
            specs.append(f"'1:value:({' '.join(c.choices)})'")
        elif c.paths:
            specs.append("'*:file:_files'")
        lines.append(f"        {c.name})")
        lines.append("            _arguments -s \\")
        lines += [f"                {s} \\" for s in specs]
        lines.append("                '(- *)'{-h,--help}'[show help]'")
        lines.append("            ;;")
    lines += ["    esac", "}", "", 'if [[ $zsh_eval_context[-1] == loadautoload ]]; then',
              '    _dtnetpol "$@"', "else", f"    compdef _dtnetpol {' '.join(PROGRAMS)}",
              "fi", ""]
    return "\n".join(lines)


def _fish_text(text: str) -> str:
    return text.replace("\\", "").replace("'", "")


def fish(cmds: list[Command]) -> str:
    lines = ["# fish completion for dtnetpol (dtnetpol completion fish)"]
    names = " ".join(c.name for c in cmds)
    for prog in PROGRAMS:
        lines.append(f"complete -c {prog} -f")
        for c in cmds:
            lines.append(f"complete -c {prog} -n 'not __fish_seen_subcommand_from {names}' "
                         f"-a {c.name} -d '{_fish_text(c.help)}'")
        for c in cmds:
            cond = f"-n '__fish_seen_subcommand_from {c.name}'"
            for o in c.options:
                flags = " ".join(f"-s {n[1:]}" if len(n) == 2 else f"-l {n[2:]}"
                                 for n in o.names)
                value = ""
                if o.choices:
                    value = f" -x -a '{' '.join(o.choices)}'"
                elif o.files:
                    value = " -r -F"
                elif o.takes_value:
                    value = " -x"
                lines.append(f"complete -c {prog} {cond} {flags}{value} "
                             f"-d '{_fish_text(o.help)}'")
            if c.choices:
                lines.append(f"complete -c {prog} {cond} -x -a '{' '.join(c.choices)}'")
            elif c.paths:
                lines.append(f"complete -c {prog} {cond} -F")
    return "\n".join(lines) + "\n"


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell``."""
    cmds = commands(parser)
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](cmds)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol completion``."""
    # The whole CLI's parser, built by the cli that wired this command (no upward import).
    out.write(script(args.shell, args.whole_cli()))
    return EXIT_OK
