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


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path`` and rename it into place only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
    if output.exists() and not is_ours(output):
        raise UserError(f"{output} exists and is not {what}; choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"))
    folder = staging / output.name
    folder.mkdir()
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
