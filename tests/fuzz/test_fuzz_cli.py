"""Fuzz: malformed YAML and JSON through ``dtnetpol.cli.main`` for every command and format.

For each input: no exception escapes ``main`` (a traceback), the exit code is 0, 1 or 2, a
run ends within :data:`HANG_SECONDS` (else it counts as a hang), and an error (exit 2) is one
line that names the input file, or a flag when the flag is what is wrong (``--from`` naming
a workload the broken input no longer has). Nothing printed holds a raw control character.

``test_fuzz_cli`` runs with the active Hypothesis profile, a few dozen inputs under ``ci``;
``test_fuzz_cli_slow`` (marked ``slow``, ``python -m pytest -m slow tests/fuzz``) runs
``DTNETPOL_FUZZ_EXAMPLES`` inputs (default 100,000) and prints its figures.
"""

from __future__ import annotations

import functools
import io
import os
import re
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fuzz.strategies import EXAMPLE, malformed

from dtnetpol import cli
from dtnetpol.cli import main
from dtnetpol.safe_text import _UNSAFE

HANG_SECONDS = 30
DYNAKUBE = str(EXAMPLE / "dynakube.yaml")
CLEAN = str(EXAMPLE / "shop.yaml")

# command → (formats, extra flags); the input file is the PATH (for diff: NEW).
COMMANDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "lint": (("table", "json", "sarif", "md"), ()),
    "explain": (("table", "json", "md"), ()),
    "connlist": (("table", "json", "md", "dot"), ()),
    "can-reach": (("table", "json", "md"), ("--from", "shop/frontend", "--to", "shop/cart",
                                            "--port", "8080")),
    "check": (("table", "json", "sarif", "md", "html", "dot"),
              ("--skip-invalid", "--apiserver-cidr", "10.0.0.0/24")),
    "generate": (("yaml",), ("--skip-invalid", "--apiserver-cidr", "10.0.0.0/24")),
    "fix": (("yaml",), ("--skip-invalid", "--apiserver-cidr", "10.0.0.0/24")),
    "diff": (("table", "json", "md"), ("--skip-invalid",)),
    "diagnose": (("table", "json", "md", "html"),
                 ("--skip-invalid", "--apiserver-cidr", "10.0.0.0/24")),
}
RUNS = [(c, f) for c, (formats, _) in COMMANDS.items() for f in formats]

# Errors that are about a flag, not the file: the broken input lacks what the flag names.
_FLAG_ERRORS = re.compile(r"dtnetpol: error: (--from|--to|no DynaKube or EdgeConnect found|"
                          r"the webhook's ingress|--platform|--flavor)")


@pytest.fixture(autouse=True)
def _one_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the argument parser once, not per input: building it is half the time of a run
    on a small input (argparse parsers are reusable; nothing here changes one)."""
    monkeypatch.setattr(cli, "build_parser", functools.cache(cli.build_parser))


class Hang(Exception):
    """A run took longer than HANG_SECONDS."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def argv_for(command: str, fmt: str, path: str) -> list[str]:
    _, extra = COMMANDS[command]
    paths = [CLEAN, path] if command == "diff" else [path]
    out = ["-o", fmt] if fmt != "yaml" else []
    return [command, *paths, *out, *extra]


def run_one(command: str, fmt: str, suffix: str, content: bytes, folder: str) -> str:
    """Run one input; returns the outcome ("ok", "finding", "error"); raises on a broken
    promise (traceback, bad exit code, hang, an error that names neither file nor flag)."""
    path = os.path.join(folder, f"input{suffix}")
    with open(path, "wb") as fh:
        fh.write(content)
    out, err = io.StringIO(), io.StringIO()
    with time_limit(HANG_SECONDS):
        code = main(argv_for(command, fmt, path), out=out, err=err)
    assert code in (0, 1, 2), code
    text = err.getvalue()
    assert not _UNSAFE.search(text), text
    assert not _UNSAFE.search(out.getvalue())
    if code == 2:
        last = text.strip().splitlines()[-1]
        assert last.startswith("dtnetpol: error: "), text
        assert path in last or _FLAG_ERRORS.match(last), last
    return ("ok", "finding", "error")[code]


@settings(suppress_health_check=list(HealthCheck))
@given(case=malformed(), which=st.sampled_from(RUNS))
def test_fuzz_cli(case: tuple[str, bytes], which: tuple[str, str]) -> None:
    suffix, content = case
    with tempfile.TemporaryDirectory() as folder:
        run_one(*which, suffix, content, folder)


@pytest.mark.slow
def test_fuzz_cli_slow() -> None:
    """At least 100,000 inputs; prints inputs, outcomes, tracebacks, hangs and time, and
    keeps the running figures in ``DTNETPOL_FUZZ_REPORT`` (every 500 inputs)."""
    examples = int(os.environ.get("DTNETPOL_FUZZ_EXAMPLES", "100000"))
    report = Path(os.environ.get("DTNETPOL_FUZZ_REPORT", os.devnull))
    outcomes: Counter[str] = Counter()
    per_command: Counter[str] = Counter()
    start = time.perf_counter()

    def figures() -> str:
        return (f"inputs={sum(outcomes.values())} seconds={time.perf_counter() - start:.0f} "
                f"cpu={time.process_time():.0f} outcomes={dict(outcomes)} "
                f"per_command={dict(per_command)} tracebacks=0 hangs=0\n")

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=malformed(), which=st.sampled_from(RUNS))
    def fuzz(case: tuple[str, bytes], which: tuple[str, str]) -> None:
        suffix, content = case
        with tempfile.TemporaryDirectory() as folder:
            outcomes[run_one(*which, suffix, content, folder)] += 1
        per_command[which[0]] += 1
        if sum(outcomes.values()) % 500 == 0:
            report.write_text(figures(), encoding="utf-8")

    fuzz()
    total = sum(outcomes.values())
    report.write_text(figures(), encoding="utf-8")
    print("\nfuzz: " + figures())
    assert total >= examples * 0.99
