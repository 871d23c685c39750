"""Atomic writes: an output appears whole, or not at all, and an earlier one is replaced only by a finished one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import UserError


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# mkstemp creates files readable by the owner only; outputs get the mode any new file of the user would get.
FILE_MODE = 0o666 & ~_umask()


def cache_dir() -> Path:
    """Where annotate keeps what it can rebuild (learned stance heads, locks): ``$ANNOTATE_CACHE``, default
    ``~/.cache/annotate``."""
    return Path(os.environ.get("ANNOTATE_CACHE") or Path.home() / ".cache" / "annotate")


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the machine-wide lock ``name`` (a file under the cache) until the block ends; another holder waits."""
    import fcntl

    folder = cache_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_output_file(path: Path) -> None:
    """Fail early, before any slow work, when ``path`` cannot be written as a file."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is None or not parent.is_dir():
        raise UserError(f"cannot write {path}: {parent} is not a folder")


def check_writable(output: Path) -> None:
    """Fail before any slow work when the folder that is to hold ``output`` (the nearest one that exists) takes
    no new file: read-only, or not ours. Tried, not inferred from the mode bits, which do not stop root."""
    folder = next(p for p in output.absolute().parents if p.exists())
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UserError(f"cannot write {output}: {folder} takes no new file ({exc.strerror or exc})") from None


def check_output_folder(path: Path) -> None:
    """Fail early when ``path`` cannot become a folder (it is a file, or a parent of it is)."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} is a file; give a folder name")
    check_output_file(path / "x")


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path`` and rename it into place only on success."""
    check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(output: Path, is_ours: Callable[[Path], bool], what: str) -> Iterator[Path]:
    """Yield an empty folder to fill; on success it becomes ``output``.

    The folder has ``output``'s name (inside a hidden temporary folder beside it), so whatever records its own
    folder name while it is built records the final one. An existing ``output`` is replaced only if ``is_ours``
    says an earlier run wrote it, and only once the new folder is complete.
    """
    check_output_folder(output)
    if output.exists() and not is_ours(output):
        raise UserError(f"{output} exists and is not {what}; choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"))
    folder = staging / output.name
    folder.mkdir()  # inside mkdtemp's private folder, but with the user's usual mode, which the rename keeps
    try:
        yield folder
        if output.exists():
            os.replace(output, staging / ".previous")
        try:
            os.replace(folder, output)
        except BaseException:
            if (staging / ".previous").exists():
                os.replace(staging / ".previous", output)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
