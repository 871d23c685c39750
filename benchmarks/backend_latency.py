"""/predict latency of the ML backend as Label Studio sees it: p50/p95 for one article, throughput for a batch of 100,
and a bounded load test: one-article requests from concurrent clients with malformed bodies mixed in.

Starts ``annotate backend serve`` (default model) in its own process on a free port, pinned to 2 CPU cores, and
calls it over HTTP the way Label Studio does. Goals: p95 under 300 ms for one news article; under load, every good
request answered and every malformed one refused with a 4xx, with no traceback in the server's log.

    .venv/bin/python benchmarks/backend_latency.py [--articles seeds] [--requests 50] [--cores 2]
        [--load-requests 200] [--concurrency 8] [--malformed-every 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import requests

from annotate.backend import MAX_TASKS, MAX_TEXT_CHARS

ROOT = Path(__file__).resolve().parent.parent
ANNOTATE = Path(sys.executable).parent / "annotate"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_backend(port: int, cores: int, model_dir: Path, log: IO[str]) -> subprocess.Popen:
    # Pin the backend (and its torch threads) to the first ``cores`` CPUs this process may use.
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    env = {**os.environ, "OMP_NUM_THREADS": str(len(cpus)), "MKL_NUM_THREADS": str(len(cpus))}
    command = ["backend", "serve", "--port", str(port), "--retrain-every", "0", "--model-dir", str(model_dir)]
    return subprocess.Popen(
        [str(ANNOTATE), *command],
        env=env,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
        stdout=subprocess.DEVNULL,
        stderr=log,  # a file, not a pipe: a pipe nobody reads would block the server once full
        text=True,
    )


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the backend exited: {log.read_text(encoding='utf-8').strip()}")
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


MALFORMED_BODIES = [
    ("not JSON", b"tasks please"),
    ("cut short", b'{"tasks": [{"id": 1, "data": {"text": "The minister said'),
    ("a JSON list", b"[]"),
    ("tasks holding strings", b'{"tasks": ["one", "two"]}'),
    ("tasks holding lists", b'{"tasks": [[1, 2]]}'),
    ("text a number", b'{"tasks": [{"id": 1, "data": {"text": 5}}]}'),
    ("text an object", b'{"tasks": [{"id": 1, "data": {"text": {"a": 1}}}]}'),
    ("text a lone surrogate", b'{"tasks": [{"id": 1, "data": {"text": "\\ud800"}}]}'),
    ("text too long", b'{"tasks": [{"id": 1, "data": {"text": "%s"}}]}' % (b"a" * (MAX_TEXT_CHARS + 1))),
    ("too many tasks", b'{"tasks": [%s]}' % b",".join([b"{}"] * (MAX_TASKS + 1))),
    ("nested too deep", b"[" * 100_000),
]


def load_test(url: str, texts: list[str], requests_: int, concurrency: int, malformed_every: int) -> dict:
    """``requests_`` one-article /predict calls from ``concurrency`` clients, one of ``MALFORMED_BODIES`` after
    every ``malformed_every`` of them; the good calls' seconds and statuses, and the malformed ones' statuses."""
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def good(number: int) -> tuple[float, bool]:
        tasks = [{"id": number, "data": {"text": texts[number % len(texts)]}}]
        started = time.perf_counter()
        response = session().post(f"{url}/predict", json={"tasks": tasks, "project": "1.0"}, timeout=600)
        elapsed = time.perf_counter() - started
        return elapsed, response.status_code == 200 and len(response.json()["results"]) == 1

    def bad(number: int) -> tuple[str, int]:
        what, body = MALFORMED_BODIES[number % len(MALFORMED_BODIES)]
        headers = {"Content-Type": "application/json"}
        return what, session().post(f"{url}/predict", data=body, headers=headers, timeout=600).status_code

    with ThreadPoolExecutor(concurrency) as pool:
        good_calls, bad_calls = [], []
        for number in range(requests_):
            good_calls.append(pool.submit(good, number))
            if malformed_every and (number + 1) % malformed_every == 0:
                bad_calls.append(pool.submit(bad, len(bad_calls)))
        answered = [call.result() for call in good_calls]
        refused = Counter(call.result() for call in bad_calls)
    return {
        "times": sorted(elapsed for elapsed, _ in answered),
        "errors": sum(not ok for _, ok in answered),
        "malformed": refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds", help="Folder of .txt news articles.")
    parser.add_argument("--requests", type=int, default=50, help="Single-article requests to time.")
    parser.add_argument("--batches", type=int, default=3, help="Batches of 100 to time.")
    parser.add_argument("--cores", type=int, default=2, help="CPU cores for the backend.")
    parser.add_argument("--load-requests", type=int, default=200, help="One-article requests of the load test.")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent clients in the load test.")
    parser.add_argument(
        "--malformed-every", type=int, default=4, help="A malformed body after every this many good ones (0: none)."
    )
    args = parser.parse_args()

    texts = [path.read_text(encoding="utf-8") for path in sorted(args.articles.glob("*.txt"))]
    if not texts:
        sys.exit(f"no .txt articles in {args.articles}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="backend-latency-") as scratch:
        log_path = Path(scratch) / "backend.log"
        with open(log_path, "w", encoding="utf-8") as log:
            backend = start_backend(port, args.cores, Path(scratch) / "models", log)
            try:
                wait_until_up(url, backend, log_path)
                # requests, as Label Studio's own ML API client uses (one keep-alive session).
                with requests.Session() as http:
                    version = http.get(f"{url}/health", timeout=10).json()["model_version"]
                    for text in texts:  # warm-up: first calls pay for lazy initialisation
                        predict(http, url, [text])
                    single = [predict(http, url, [texts[i % len(texts)]]) for i in range(args.requests)]
                    batch = [texts[i % len(texts)] for i in range(100)]
                    batch_times = [predict(http, url, batch) for _ in range(args.batches)]
                    started = time.perf_counter()
                    load = load_test(url, texts, args.load_requests, args.concurrency, args.malformed_every)
                    load_seconds = time.perf_counter() - started
                    still_up = http.get(f"{url}/health", timeout=10).status_code == 200
            finally:
                backend.terminate()
                backend.wait(timeout=30)
        server_log = log_path.read_text(encoding="utf-8")

    words = statistics.mean(len(text.split()) for text in texts)
    p50, p95 = (statistics.quantiles(single, n=100)[q - 1] * 1000 for q in (50, 95))
    print(f"model {version}; {args.cores} CPU cores; {len(texts)} articles, {words:.0f} words on average")
    print(
        f"one article per request ({args.requests} requests): p50 {p50:.0f} ms, p95 {p95:.0f} ms (goal: p95 < 300 ms)"
    )
    best = min(batch_times)
    print(f"batch of 100 articles: {best:.2f} s best of {args.batches} -> {100 / best:.1f} articles/s")

    times = load["times"]
    load_p50, load_p95 = (statistics.quantiles(times, n=100)[q - 1] * 1000 for q in (50, 95))
    malformed = sum(load["malformed"].values())
    refused = sum(count for (_, code), count in load["malformed"].items() if 400 <= code < 500)
    print(
        f"load: {len(times)} one-article requests, {args.concurrency} concurrent, {malformed} malformed mixed in, "
        f"{load_seconds:.1f} s: p50 {load_p50:.0f} ms, p95 {load_p95:.0f} ms, max {times[-1] * 1000:.0f} ms; "
        f"{load['errors']} errors"
    )
    answers = ", ".join(f"{what} {code}" for what, code in sorted(set(load["malformed"])))
    print(f"malformed: {refused} of {malformed} refused with a 4xx ({answers})")
    tracebacks = server_log.count("Traceback")
    print(
        f"server: {'answering' if still_up else 'NOT answering'} /health after the load; {tracebacks} tracebacks in its log"
    )


if __name__ == "__main__":
    main()
