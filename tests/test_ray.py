"""`annotate prelabel --engine ray` on a real local Ray cluster (a head and one worker process, one CPU and bounded
memory each): the output is the local run's, byte for byte, with the same threads per process."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, free_port

from annotate.errors import UserError

ray = pytest.importorskip("ray")
RAY = Path(sys.executable).parent / "ray"
ANNOTATE = Path(sys.executable).parent / "annotate"
DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data"
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
BOUNDS = ["--num-cpus=1", f"--memory={2 * 1024**3}", f"--object-store-memory={300 * 1024**2}"]


def run(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, env={**ENV, **env})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def cluster():
    # A short folder: Ray puts unix sockets in it, whose paths have a length limit.
    folder = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    address = f"127.0.0.1:{free_port()}"
    # The cluster's nodes and clients authenticate with a token of this test's own (0600).
    token = Path(folder) / "token"
    token.write_text(secrets.token_hex(32), encoding="utf-8")
    token.chmod(0o600)
    ENV["RAY_AUTH_TOKEN_PATH"] = str(token)
    try:
        run(RAY, "start", "--head", f"--port={address.split(':')[1]}", "--node-ip-address=127.0.0.1",
            "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={folder}", *BOUNDS)  # fmt: skip
        run(RAY, "start", f"--address={address}", "--node-ip-address=127.0.0.1", *BOUNDS)
        # The worker registers with the head a moment after its start returns, later on a busy machine.
        deadline = time.monotonic() + 120
        while active_nodes(address) < 2:
            assert time.monotonic() < deadline, "the worker never joined the head"
            time.sleep(1)
        yield address
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=300, env=ENV)
        shutil.rmtree(folder, ignore_errors=True)


def active_nodes(address: str) -> int:
    status = run(RAY, "status", f"--address={address}").stdout
    return status.split("Active:")[1].split("Pending:")[0].count("node_")


def test_ray_engine_output_is_the_local_output(cluster, tmp_path):
    assert active_nodes(cluster) == 2  # the head and the worker
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in [*SEEDS_DIR.glob("*.txt"), *sorted((DATA / "x9_wire" / "docs").glob("*.txt"))]:
        shutil.copy(article, corpus / article.name)
    common = ["prelabel", corpus, "--batch-size", "4"]
    # Ray gives each actor one CPU, so torch runs one thread there; the local run does too, because the last bits
    # of a sum depend on how many threads share it.
    run(ANNOTATE, *common, "-o", tmp_path / "local.jsonl", OMP_NUM_THREADS="1")
    on_ray = run(
        ANNOTATE, *common, "-o", tmp_path / "ray.jsonl", "--engine", "ray", "--address", cluster, "--workers", "2"
    )
    assert "Traceback" not in on_ray.stderr
    local = (tmp_path / "local.jsonl").read_bytes()
    assert local and (tmp_path / "ray.jsonl").read_bytes() == local


def test_without_ray_the_engine_flag_is_one_clear_error(monkeypatch):
    from annotate.distributed import ray_reader

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError, match=r"pip install 'annotate\[ray\]'"):
        ray_reader(None, 1, None, None, 4)
