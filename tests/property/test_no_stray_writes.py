"""No command modifies, creates or deletes anything but what it was asked to write (issue 14).

A sandbox holds the input tree, a file outside the output folder that symbolic links in it
point at, and the current directory of the run. Every command runs on clean or malformed
input; the sandbox is hashed before and after (content, type, link target, mode of every
entry). Only ``generate --out DIR`` and ``fix --write DIR`` may change anything, only inside
DIR, only DNS-1123-named ``.yaml`` files, and a file there with other content only with
``--force``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.fuzz.strategies import EXAMPLE, malformed
from tests.fuzz.test_fuzz_cli import COMMANDS, RUNS, argv_for

from dtnetpol.cli import main

WRITERS = {"generate": "--out", "fix": "--write"}


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` → a digest of its type, mode, content or link target."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                what = "link:" + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as fh:
                    what = "file:" + hashlib.sha256(fh.read()).hexdigest()
            else:
                what = "dir"
            found[os.path.relpath(path, root)] = f"{what}:{stat.S_IMODE(info.st_mode):o}"
    return found


def sandbox(root: Path, prepared: str) -> tuple[Path, Path]:
    """``root/in`` (the example cluster), ``root/outside.yaml``, and ``root/out`` prepared:
    missing, empty, holding a file with other content, or a link to ``outside.yaml``."""
    shutil.copytree(EXAMPLE, root / "in", ignore=shutil.ignore_patterns("invalid"))
    (root / "outside.yaml").write_text("# not dtnetpol's\n", encoding="utf-8")
    (root / "cwd").mkdir()
    out = root / "out"
    if prepared != "missing":
        out.mkdir()
    if prepared == "edited":
        (out / "dynatrace.networkpolicy.dynatrace-webhook-ingress.yaml").write_text(
            "# edited\n", encoding="utf-8")
    elif prepared == "links":
        for name in ("dynatrace.networkpolicy.dynatrace-webhook-ingress.yaml",
                     "shop.networkpolicy.shop-egress-fix.yaml"):
            (out / name).symlink_to(root / "outside.yaml")
        (out / "dangling.yaml").symlink_to(root / "nowhere.yaml")
    return root / "in", out


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(which=st.sampled_from(RUNS) | st.sampled_from([("generate", "yaml"), ("fix", "yaml")]),
       case=st.one_of(st.none(), st.none(), malformed()),
       prepared=st.sampled_from(["missing", "empty", "edited", "links"]),
       write=st.booleans(), force=st.booleans())
def test_nothing_changes_but_the_folder_asked_for(which: tuple[str, str],
                                                  case: tuple[str, bytes] | None,
                                                  prepared: str, write: bool,
                                                  force: bool) -> None:
    command, fmt = which
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inputs, out = sandbox(root, prepared)
        if case is not None:
            suffix, content = case
            (inputs / f"fuzzed{suffix}").write_bytes(content)
        argv = argv_for(command, fmt, str(inputs))
        if command in WRITERS and write:
            argv += [WRITERS[command], str(out)] + (["--force"] if force else [])
        before = snapshot(root)
        cwd = os.getcwd()
        os.chdir(root / "cwd")
        try:
            code = main(argv, out=io.StringIO(), err=io.StringIO())
        finally:
            os.chdir(cwd)
        after = snapshot(root)
        assert code in (0, 1, 2)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        asked = command in WRITERS and write and code == 0
        event(f"{command} exit {code}" + (f", wrote {len(changed)}" if asked else ""))
        if not asked:
            assert changed == set(), changed
            return
        for entry in changed:
            assert entry == "out" or entry.startswith("out/"), entry
            name = entry.removeprefix("out/")
            assert entry == "out" or (name.endswith(".yaml") and "/" not in name and
                                      name == name.lower()), entry
            assert not before.get(entry, "").startswith("link:"), entry   # never replaced
            if entry != "out" and entry in before and not force:
                raise AssertionError(f"{entry} replaced without --force")
        assert after["outside.yaml"] == before["outside.yaml"]


def test_the_sandbox_sees_changes() -> None:
    """The snapshot notices what the property forbids (so the property can fail)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sandbox(root, "links")
        before = snapshot(root)
        (root / "outside.yaml").write_text("# changed\n", encoding="utf-8")
        os.chmod(root / "in" / "shop.yaml", 0o600)
        (root / "cwd" / "new.yaml").write_text("", encoding="utf-8")
        after = snapshot(root)
        assert {k for k in after if before.get(k) != after[k]} == {
            "outside.yaml", "in/shop.yaml", "cwd/new.yaml"}
    assert COMMANDS
