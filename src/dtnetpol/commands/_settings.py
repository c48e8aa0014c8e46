"""``.dtnetpol.yaml``: the settings every command reads, found upward from the working directory.

One file for the repository: what the flags would say on every run (platform, tenant and
other CIDRs, the DynaKube, what to fail on, which files to leave out) plus the linter's
configuration (rules disabled, severities, ignores, options, cluster facts). A flag given on
the command line wins over the file. Paths and globs in the file are relative to the file.

Example::

    platform: eks
    tenant-cidrs: [203.0.113.0/24]
    dynakube: [deploy/dynakube.yaml]
    fail-on: {check: optional, lint: warning}
    exclude: ["charts/*/values*.yaml", "docs/**"]
    disable: [NPL015]                      # lint keys as before
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dtnetpol.dynatrace import Platform
from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import key_line
from dtnetpol.model.location import SourceLocation
from dtnetpol.safe_text import path_label
from dtnetpol.sources.yaml_load import _read_file, read_text

if TYPE_CHECKING:
    from dtnetpol.lint.config import LintConfig

SETTINGS_FILE = ".dtnetpol.yaml"   # dtnetpol.lint.config.CONFIG_FILE (the same file)
CIDR_KEYS = {"tenant-cidrs": "tenant_cidr", "proxy-cidrs": "proxy_cidr",
             "node-cidrs": "node_cidr", "apiserver-cidrs": "apiserver_cidr"}
GENERAL_KEYS = ("platform", *CIDR_KEYS, "dynakube", "fail-on", "exclude")
# lint's levels are dtnetpol.lint.finding.Severity's values, spelled out: every command reads
# this module, and only lint needs the findings (a test keeps the two the same)
FAIL_ON = {"check": ("required", "optional", "conditional"),
           "lint": ("error", "warning", "info")}
FAIL_ON_DEFAULT = {"check": "required", "lint": "error"}


@dataclass(frozen=True)
class Exclude:
    """A glob of files to leave out, relative to ``base`` (a folder)."""

    pattern: str
    base: str

    def matches(self, file: str) -> bool:
        from dtnetpol.lint.linter import path_matches  # the linter: only when excluding

        rel = os.path.relpath(os.path.abspath(file), self.base).replace(os.sep, "/")
        return not rel.startswith("../") and path_matches(self.pattern, rel)


@dataclass(frozen=True)
class Settings:
    """What ``.dtnetpol.yaml`` says (all empty when there is no file)."""

    source: str | None = None
    platform: str | None = None
    cidrs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by argparse dest
    dynakube: tuple[str, ...] = ()
    fail_on: Mapping[str, str] = field(default_factory=dict)
    exclude: tuple[Exclude, ...] = ()
    #: The lint keys; None when there are none. The linter's configuration (with the rule
    #: catalogue it checks names against) is imported only when a file is read.
    lint_config: LintConfig | None = None

    @property
    def lint(self) -> LintConfig:
        """The linter's configuration (the defaults when there is no settings file)."""
        if self.lint_config is not None:
            return self.lint_config
        from dtnetpol.lint.config import LintConfig
        return LintConfig()


def find_settings(start: str | None = None) -> str | None:
    """``.dtnetpol.yaml`` in ``start`` (default: the working directory) or the nearest folder
    above it that has one."""
    folder = os.path.abspath(start or os.getcwd())
    while True:
        candidate = os.path.join(folder, SETTINGS_FILE)
        if os.path.isfile(candidate):
            return os.path.relpath(candidate)   # as messages name it: ../.dtnetpol.yaml
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _loc(body: Any, key: str, file: str, path: str) -> SourceLocation:
    return SourceLocation(file, 1, key_line(body, key) if isinstance(body, Mapping) else None,
                          path)


def _strings(value: Any, loc: SourceLocation) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("must be a string or a list of strings", loc)
    return list(value)


def _cidr(text: str, loc: SourceLocation) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InputError(f"{text!r} is not an IP address or CIDR", loc) from None
    return text


def parse_settings(body: Any, file: str) -> Settings:
    """Check and convert a loaded settings file.

    Raises:
        InputError: an unknown key, a value of the wrong type, an unknown platform or
            fail-on level, a CIDR that is not one (file, line, field).
    """
    from dtnetpol.lint.config import parse_config

    lint = parse_config(body, file, extra_keys=GENERAL_KEYS)
    if not isinstance(body, Mapping):
        return Settings(source=file, lint_config=lint)
    base = os.path.dirname(os.path.abspath(file))
    platform = None
    cidrs: dict[str, tuple[str, ...]] = {}
    dynakube: tuple[str, ...] = ()
    fail_on: dict[str, str] = {}
    exclude: list[Exclude] = []
    for key in GENERAL_KEYS:
        if key not in body or body[key] is None:
            continue
        value = body[key]
        loc = _loc(body, key, file, key)
        if key == "platform":
            names = [p.value for p in Platform]
            if value not in names:
                raise InputError(f"platform {value!r} is not one of {', '.join(names)}", loc)
            platform = str(value)
        elif key in CIDR_KEYS:
            cidrs[CIDR_KEYS[key]] = tuple(_cidr(v, loc) for v in _strings(value, loc))
        elif key == "dynakube":
            dynakube = tuple(os.path.normpath(os.path.join(base, v))
                             for v in _strings(value, loc))
        elif key == "exclude":
            exclude = [Exclude(v, base) for v in _strings(value, loc)]
        elif key == "fail-on":
            if not isinstance(value, Mapping):
                raise InputError("must be a mapping of command to level, e.g. "
                                 "{check: optional, lint: warning}", loc)
            for command, level in value.items():
                at = SourceLocation(file, 1, key_line(value, command) or loc.line,
                                    f"fail-on.{command}")
                if command not in FAIL_ON:
                    raise InputError(f"fail-on is set for check and lint, not {command!r}", at)
                if level not in FAIL_ON[command]:
                    raise InputError(f"fail-on.{command}: {level!r} is not one of "
                                     f"{', '.join(FAIL_ON[command])}", at)
                fail_on[command] = str(level)
    return Settings(file, platform, cidrs, dynakube, fail_on, tuple(exclude), lint)


def read_settings(path: str) -> Settings:
    """The settings in ``path``.

    Raises:
        InputError: unreadable or malformed file (see :func:`parse_settings`).
    """
    try:
        text = _read_file(path)   # bounded; a FIFO or device is refused, as for manifests
    except InputError as e:
        raise InputError(f"cannot read settings: {e.message}",
                         SourceLocation(path_label(path))) from None
    docs = read_text(text, path)
    if len(docs) > 1:
        raise InputError("the settings file must be a single YAML document", docs[1].location)
    return parse_settings(docs[0].body if docs else None, path)


def settings_for(args: argparse.Namespace) -> Settings:
    """The file ``--config`` names, else the one found upward from the working directory."""
    path = getattr(args, "config", None) or find_settings()
    return read_settings(path) if path else Settings()


def apply_settings(args: argparse.Namespace) -> Settings:
    """Fill what the command line left unsaid from ``.dtnetpol.yaml``: flags win.

    Only the flags a command has are filled; the settings are kept in ``args.settings``.
    """
    settings = settings_for(args) if getattr(args, "paths_required", None) is not None \
        or hasattr(args, "fail_on") else Settings()
    args.settings = settings
    if getattr(args, "platform", "absent") is None and settings.platform:
        args.platform = settings.platform
    for dest, values in settings.cidrs.items():
        if getattr(args, dest, None) == []:
            setattr(args, dest, list(values))
    if getattr(args, "dynakube", None) == [] and settings.dynakube:
        args.dynakube = list(settings.dynakube)
    command = getattr(args, "command", None)
    if hasattr(args, "fail_on") and args.fail_on is None and command in FAIL_ON_DEFAULT:
        args.fail_on = settings.fail_on.get(command, FAIL_ON_DEFAULT[command])
    if hasattr(args, "exclude"):
        args.excluded = (*(Exclude(g, os.getcwd()) for g in args.exclude), *settings.exclude)
    return settings


def excluded(args: argparse.Namespace) -> Sequence[Exclude]:
    """The exclusions of the command (``--exclude`` and the settings' ``exclude``)."""
    return tuple(getattr(args, "excluded", ()))
