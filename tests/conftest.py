"""Shared fixtures: one real Label Studio server for the whole session, started the way ``annotate studio start`` does."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from annotate import studio as embedded


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory):
    """A running embedded Label Studio: ``.url``, ``.api_key`` (legacy), ``.pat``, ``.username``, ``.password``, ``.data_dir``."""
    data_dir: Path = tmp_path_factory.mktemp("label-studio")
    server = embedded.start(data_dir, port=free_port(), timeout=300)
    try:
        yield server
    finally:
        embedded.stop(data_dir)


SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def prelabeller():
    """The real default pre-labeller (packaged all-MiniLM-L6-v2), loaded once per session."""
    from annotate.pipeline import Prelabeller

    return Prelabeller()


@pytest.fixture(scope="session")
def prelabelled_seeds(prelabeller):
    from annotate.documents import iter_documents

    return list(prelabeller.prelabel(iter_documents([SEEDS_DIR])))
