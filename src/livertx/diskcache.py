"""Parsed packs and score library kept on disk between runs (like Python's `.pyc` files).

A cold `livertx assess` spent a quarter of its time importing PyYAML, reading YAML and
validating the pack's models. `cached(name, files, build)` keeps what `build` returned,
pickled, in the user's cache folder (`LIVERTX_CACHE_DIR`, default `~/.cache/livertx`;
`off` disables it), under a key made of the livertx version and the content of `files`
(the data read and the code of every class in the pickle): a changed file is a new key,
never a stale answer.

Unpickling runs code named in the file, so a cache file is read only when this user owns
both it and its folder and nobody else can write to either (and never through a symbolic
link). Files are written to a temporary name and renamed, so a reader never sees half a
file; anything unreadable or refused is rebuilt, and a folder that cannot be written just
means no cache. The plan cache of `livertx.compiler.parse` uses the same files.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from livertx import __version__

T = TypeVar("T")
OFF = ("", "0", "off")
# what unpickling a damaged or outdated file can raise
_UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
               TypeError, ValueError, KeyError, IndexError)


def cache_folder() -> Path | None:
    """Where cache files live, or None when caching is off."""
    folder = os.environ.get("LIVERTX_CACHE_DIR")
    if folder is None:
        return Path.home() / ".cache" / "livertx"
    return None if folder in OFF else Path(folder)


def cache_key(name: str, files: Iterable[Path]) -> str:
    """The livertx version, the name and every file's path and content, hashed."""
    digest = hashlib.blake2b(f"{__version__}\0{name}".encode(), digest_size=16)
    for file in sorted(files):
        digest.update(f"\0{file}\0".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def cached(name: str, files: Iterable[Path], build: Callable[[], T]) -> T:
    """`build()`, or what it returned last time the files were the same."""
    folder = cache_folder()
    if folder is None:
        return build()
    try:
        path = folder / f"{name}-{cache_key(name, files)}.pickle"
    except OSError:
        return build()
    found = read_private(path)
    if found is not None:
        return found  # type: ignore[no-any-return]  # what write_private wrote for this key
    value = build()
    write_private(path, value)
    return value


def _private(info: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_private(path: Path) -> Any:
    """What a private cache file holds, or None (missing, unreadable, or not private)."""
    try:
        folder = os.lstat(path.parent)
        if not stat.S_ISDIR(folder.st_mode) or not _private(folder):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info):
                return None
            return pickle.load(handle)  # a private file this code wrote
    except _UNREADABLE:  # a truncated or outdated file is rebuilt, never an error
        return None


def write_private(path: Path, value: object) -> None:
    """Pickle `value` to `path` (atomically, readable by this user only), replacing the
    earlier versions of the same name; a failure leaves no file and raises nothing."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.lstat(path.parent)):
            return
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        for old in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.pickle"):
            if old != path:  # an earlier version of the same thing
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
