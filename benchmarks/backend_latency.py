"""/predict latency of the ML backend as Label Studio sees it: p50/p95 for one article, throughput for a batch of 100.

Starts ``annotate backend`` (default model) in its own process on a free port, pinned to 2 CPU cores, and calls
it over HTTP the way Label Studio does. Goal: p95 under 300 ms for one news article.

    .venv/bin/python benchmarks/backend_latency.py [--articles seeds] [--requests 50] [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
ANNOTATE = Path(sys.executable).parent / "annotate"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_backend(port: int, cores: int) -> subprocess.Popen:
    # Pin the backend (and its torch threads) to the first ``cores`` CPUs this process may use.
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    env = {**os.environ, "OMP_NUM_THREADS": str(len(cpus)), "MKL_NUM_THREADS": str(len(cpus))}
    return subprocess.Popen(
        [str(ANNOTATE), "backend", "--port", str(port), "--retrain-every", "0"],
        env=env,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the backend exited: {process.stderr.read().strip()}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    sys.exit(f"the backend did not answer within {timeout:.0f} s")


def predict(http: requests.Session, url: str, texts: list[str]) -> float:
    """Seconds for one /predict call of ``texts``, shaped as Label Studio sends tasks."""
    tasks = [{"id": i, "data": {"text": text}} for i, text in enumerate(texts)]
    started = time.perf_counter()
    response = http.post(f"{url}/predict", json={"tasks": tasks, "project": "1.0"}, timeout=600)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    assert len(response.json()["results"]) == len(tasks)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds", help="Folder of .txt news articles.")
    parser.add_argument("--requests", type=int, default=50, help="Single-article requests to time.")
    parser.add_argument("--batches", type=int, default=3, help="Batches of 100 to time.")
    parser.add_argument("--cores", type=int, default=2, help="CPU cores for the backend.")
    args = parser.parse_args()

    texts = [path.read_text(encoding="utf-8") for path in sorted(args.articles.glob("*.txt"))]
    if not texts:
        sys.exit(f"no .txt articles in {args.articles}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    backend = start_backend(port, args.cores)
    try:
        wait_until_up(url, backend)
        # requests, as Label Studio's own ML API client uses (one keep-alive session).
        with requests.Session() as http:
            version = http.get(f"{url}/health", timeout=10).json()["model_version"]
            for text in texts:  # warm-up: first calls pay for lazy initialisation
                predict(http, url, [text])
            single = [predict(http, url, [texts[i % len(texts)]]) for i in range(args.requests)]
            batch = [texts[i % len(texts)] for i in range(100)]
            batch_times = [predict(http, url, batch) for _ in range(args.batches)]
    finally:
        backend.terminate()
        backend.wait(timeout=30)

    words = statistics.mean(len(text.split()) for text in texts)
    p50, p95 = (statistics.quantiles(single, n=100)[q - 1] * 1000 for q in (50, 95))
    print(f"model {version}; {args.cores} CPU cores; {len(texts)} articles, {words:.0f} words on average")
    print(
        f"one article per request ({args.requests} requests): p50 {p50:.0f} ms, p95 {p95:.0f} ms (goal: p95 < 300 ms)"
    )
    best = min(batch_times)
    print(f"batch of 100 articles: {best:.2f} s best of {args.batches} -> {100 / best:.1f} articles/s")


if __name__ == "__main__":
    main()
