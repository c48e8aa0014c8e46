"""Writing files into the folder a command was given: the one writer of ``generate --out``,
``fix --write`` and ``snapshot --out``.

File names come from the input (a namespace, a policy, pod or container name, a resource the
server lists; from a flag, a manifest or the API server), so the writer trusts none of them:

- a name is one part or (where the command writes sub-folders) ``/``-separated parts, each
  made of DNS-1123 characters (``a-z``, ``0-9``, ``-``, ``.``) and starting with a letter or
  digit, the last one ending in a suffix the command allows (``.yaml``): no ``..`` part, no
  absolute path, nothing outside the folder asked for;
- no symbolic link is followed: the folder itself must not be one, it is opened once
  (``O_NOFOLLOW``) and every sub-folder and file is opened relative to its parent's handle; an
  existing entry that is a link (dangling or not), a device, or a folder where a file goes (a
  file where a folder goes) is refused;
- an existing file with other content is never replaced without ``--force``; one with the
  same content is left as it is;
- every file is written to a temporary file in the folder, then linked (a new file: fails
  rather than replace one that appeared meanwhile) or renamed (``--force``) into place.

Everything is checked before the first file is written, so a refusal leaves the folder as it
was.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from dtnetpol.errors import InputError
from dtnetpol.safe_text import path_label

_PART = re.compile(r"[a-z0-9][a-z0-9.-]*")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def add_force_flag(p: argparse.ArgumentParser) -> None:
    """``--force``: the same flag, with the same meaning, on every command that writes."""
    p.add_argument("--force", action="store_true",
                   help="replace existing files whose content differs (never a symbolic "
                        "link, a folder or a device)")


@dataclass(frozen=True)
class Written:
    """What a write did: files created or replaced, and files left as they were."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]


def _refuse(flag: str, folder: str, message: str) -> InputError:
    return InputError(f"{flag} {path_label(folder)}: {message}")


def _open_folder(folder: str, flag: str) -> int:
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        try:
            os.makedirs(folder)
        except OSError as exc:
            raise _refuse(flag, folder, f"cannot create the folder: {exc.strerror or exc}"
                          ) from None
        info = os.lstat(folder)
    except OSError as exc:
        raise _refuse(flag, folder, exc.strerror or str(exc)) from None
    if stat.S_ISLNK(info.st_mode):
        raise _refuse(flag, folder, "is a symbolic link; not writing through it (give the "
                      "folder it points to)")
    if not stat.S_ISDIR(info.st_mode):
        raise _refuse(flag, folder, "exists and is not a folder")
    try:
        return os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        raise _refuse(flag, folder, exc.strerror or str(exc)) from None


def _existing(name: str, fd: int) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=fd)
    except FileNotFoundError:
        return None


def _same_content(name: str, fd: int, data: bytes) -> bool:
    handle = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=fd)
    with os.fdopen(handle, "rb") as fh:
        return fh.read(len(data) + 1) == data


def _write_one(name: str, fd: int, data: bytes, replace: bool) -> None:
    temp = f".{name}.{secrets.token_hex(6)}.tmp"
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=fd)
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.rename(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        else:
            # A new file: link fails if one appeared since the check (rename would replace it).
            os.link(temp, name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
            os.unlink(temp, dir_fd=fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=fd)
        raise


def _valid(name: str, suffixes: Sequence[str], nested: bool) -> bool:
    parts = name.split("/")
    return (nested or len(parts) == 1) and all(_PART.fullmatch(p) for p in parts) \
        and parts[-1].endswith(tuple(suffixes))


class _Folders:
    """Handles of the folder asked for and of its sub-folders, each opened relative to its
    parent without following a link; missing ones are created only when writing."""

    def __init__(self, root: int, flag: str, folder: str) -> None:
        self.fds: dict[str, int | None] = {"": root}   # None: missing, created on write
        self.flag, self.folder = flag, folder

    def find(self, rel: str) -> int | None:
        """The handle of sub-folder ``rel`` if it exists (refusing a link or a file)."""
        if rel in self.fds:
            return self.fds[rel]
        parent_rel, _, part = rel.rpartition("/")
        parent = self.find(parent_rel)
        fd: int | None = None
        if parent is not None:
            info = _existing(part, parent)
            if info is not None:
                if stat.S_ISLNK(info.st_mode):
                    raise _refuse(self.flag, self.folder, f"{rel} is a symbolic link; not "
                                  "writing through it (remove it)")
                if not stat.S_ISDIR(info.st_mode):
                    raise _refuse(self.flag, self.folder, f"{rel} exists and is not a folder")
                fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=parent)
        self.fds[rel] = fd
        return fd

    def make(self, rel: str) -> int:
        """The handle of sub-folder ``rel``, created (with its parents) when missing."""
        fd = self.find(rel)
        if fd is None:
            parent_rel, _, part = rel.rpartition("/")
            parent = self.make(parent_rel)
            os.mkdir(part, 0o755, dir_fd=parent)    # fails if anything appeared meanwhile
            fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=parent)
            self.fds[rel] = fd
        return fd

    def close(self) -> None:
        for fd in {f for f in self.fds.values() if f is not None}:
            os.close(fd)


def write_files(folder: str, files: Sequence[tuple[str, str]], *, flag: str,
                force: bool = False, suffixes: Sequence[str] = (".yaml",),
                nested: bool = False, empty: bool = False) -> Written:
    """Write each (name, text) of ``files`` into ``folder`` (created when missing).

    ``suffixes`` are the file name endings allowed; with ``nested`` a name may hold
    sub-folders (``logs/ns/pod/c.log``), created when missing; ``empty`` (without ``force``)
    refuses a folder that already holds anything.

    Raises:
        InputError: a name that is not made of DNS-1123 characters, a folder or an existing
            entry that is a symbolic link or not a regular file, an existing file with other
            content (without ``force``), or an OS error; naming ``flag`` and the folder.
    """
    for name, _ in files:
        if not _valid(name, suffixes, nested):
            ends = " or ".join(f"'{x}'" for x in suffixes)
            raise _refuse(flag, folder, f"refusing to write {path_label(name)!r}: file names "
                          "are made from names of the input and must use DNS-1123 characters "
                          f"only (a-z, 0-9, '-', '.'), end in {ends} and stay in the folder")
    root = _open_folder(folder, flag)
    folders = _Folders(root, flag, folder)
    try:
        if empty and not force and os.listdir(root):
            raise _refuse(flag, folder, "exists and is not an empty folder (--force writes "
                          "into it, replacing files of the same name)")
        plan: list[tuple[str, bytes, bool]] = []   # name, data, replace
        unchanged: list[str] = []
        for name, text in files:
            data = text.encode("utf-8")
            parent_rel, _, base = name.rpartition("/")
            parent = folders.find(parent_rel)
            info = None if parent is None else _existing(base, parent)
            if parent is None or info is None:
                plan.append((name, data, False))
            elif stat.S_ISLNK(info.st_mode):
                raise _refuse(flag, folder, f"{name} is a symbolic link; not writing through "
                              "it (remove it)")
            elif not stat.S_ISREG(info.st_mode):
                raise _refuse(flag, folder, f"{name} exists and is not a regular file")
            elif _same_content(base, parent, data):
                unchanged.append(name)
            elif force:
                plan.append((name, data, True))
            else:
                raise _refuse(flag, folder, f"{name} exists with other content; not replacing "
                              "it (--force replaces it)")
        for name, data, replace in plan:
            parent_rel, _, base = name.rpartition("/")
            _write_one(base, folders.make(parent_rel), data, replace)
        for fd in {f for f in folders.fds.values() if f is not None}:
            with contextlib.suppress(OSError):
                os.fsync(fd)   # the new names survive a crash too
    except FileExistsError as exc:
        what = exc.filename2 or exc.filename or "a file"
        raise _refuse(flag, folder, f"{what} appeared while writing; not replacing it"
                      ) from None
    except OSError as exc:
        raise _refuse(flag, folder, exc.strerror or str(exc)) from None
    finally:
        folders.close()
    return Written(tuple(n for n, _, _ in plan), tuple(unchanged))
