"""Documents/s pre-labelling locally and on a local Ray with 1 and 2 workers (needs the [ray] extra).

usage: python benchmarks/ray_speed.py [--batch-size 8]

The corpus is every distinct article of seeds/ and benchmarks/data/*/docs. Each engine runs in its own
``annotate prelabel`` process, so its figure includes start-up (and, for Ray, starting the local cluster and one
model per worker): on one machine Ray pays for itself only when the corpus is large enough to amortise that.
The outputs are compared with the local one (labels identical; scores may differ in the last digits with a
different number of torch threads per process).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANNOTATE = Path(sys.executable).parent / "annotate"


def labels(path: Path) -> list[tuple]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["id"], q["start"], q["end"], q["stance"]["label"]) for r in records for q in r["quotes"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8, help="documents per stance-model batch (a Ray row)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        corpus.mkdir()
        for article in [*ROOT.glob("seeds/*.txt"), *ROOT.glob("benchmarks/data/*/docs/*.txt")]:
            shutil.copy(article, corpus / f"{article.parent.parent.name}-{article.name}")
        count = len(list(corpus.iterdir()))
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        runs = [("local", []), ("ray, 1 worker", ["--engine", "ray", "--workers", "1"])]
        runs.append(("ray, 2 workers", ["--engine", "ray", "--workers", "2"]))
        reference = None
        for name, options in runs:
            output = Path(folder) / f"{len(options)}-{name[-9:].replace(' ', '')}.jsonl"
            started = time.perf_counter()
            command = [str(ANNOTATE), "prelabel", str(corpus), "-o", str(output), "--batch-size", str(args.batch_size)]
            subprocess.run([*command, *options], check=True, capture_output=True, env=env)
            elapsed = time.perf_counter() - started
            found = labels(output)
            reference = reference or found
            same = "same labels" if found == reference else f"{sum(a != b for a, b in zip(found, reference))} differ"
            print(f"{name}: {count} documents in {elapsed:.1f} s, {count / elapsed:.1f} documents/s ({same})")


if __name__ == "__main__":
    main()
