"""Shared fixtures: one real Label Studio server for the whole session, started the way ``annotate studio start`` does."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
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


@contextmanager
def proxy(
    upstream: str,
    method: str,
    path: str,
    status: int,
    forward: bool,
    body: bytes = b"",
    on_catch: Callable[[], None] | None = None,
    catches: int | None = None,
) -> Iterator[str]:
    """A proxy to Label Studio that answers ``status`` (with JSON ``body``) to every ``method`` request whose path
    matches ``path`` (or to the first ``catches`` of them), after passing it on (``forward``: the server did the
    work, the answer was lost) or without, and after calling ``on_catch`` (which may kill the server); the rest
    pass."""
    matches = re.compile(path).fullmatch
    caught_so_far = itertools.count()

    class Handler(BaseHTTPRequestHandler):
        def relay(self) -> None:
            sent = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            caught = self.command == method and matches(self.path.split("?")[0])
            caught = caught and (catches is None or next(caught_so_far) < catches)
            if forward or not caught:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(self.command, upstream + self.path, headers=headers, content=sent, timeout=300)
            if caught:
                if on_catch is not None:
                    on_catch()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = relay

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
