"""Shared fixtures: one real Label Studio server for the whole session, started the way ``annotate studio start`` does."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from annotate import studio as embedded


def pytest_configure(config: pytest.Config) -> None:
    # Stance heads learned from target files are cached; the tests keep theirs apart from the user's cache
    # (and hand the setting to the CLI they run in subprocesses).
    config.annotate_cache = tempfile.mkdtemp(prefix="annotate-test-cache-")
    os.environ["ANNOTATE_CACHE"] = config.annotate_cache


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(getattr(config, "annotate_cache", ""), ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory):
    """A running embedded Label Studio: ``.url``, ``.api_key`` (legacy), ``.pat``, ``.username``, ``.password``, ``.data_dir``."""
    data_dir: Path = tmp_path_factory.mktemp("label-studio")
    server = embedded.start(data_dir, port=free_port())
    try:
        yield server
    finally:
        embedded.stop(data_dir)


SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def prelabeller():
    """The real default pre-labeller (a head on the packaged all-MiniLM-L6-v2), loaded once per session."""
    from annotate.pipeline import Prelabeller

    return Prelabeller()


@pytest.fixture(scope="session")
def prelabelled_seeds(prelabeller):
    from annotate.documents import iter_documents

    return list(prelabeller.prelabel(iter_documents([SEEDS_DIR])))
