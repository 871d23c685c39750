"""Pre-labelling speed with the default model: the seed articles repeated to N documents.

usage: python benchmarks/prelabel_speed.py [--documents 500] [--batch-size 32] [--threads N] [--distinct] [--stance-model M]

--distinct pre-labels each article of seeds/ and benchmarks/data/*/docs once instead (no text repeats, so no
quote is encoded only once for several documents).

Prints the model load time on its own (the stance head learned from the target is cached after the first run), then documents/s and quotes/s for the whole pre-labeller, and quotes/s
for the stance model alone. Goal: >= 20 articles/s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from itertools import cycle, islice
from pathlib import Path

from annotate.documents import iter_documents
from annotate.pipeline import Prelabeller
from annotate.stance import stance_items

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
DATA_DIR = Path(__file__).resolve().parent / "data"


def startup() -> tuple[float, float]:
    """Wall and CPU seconds of ``annotate prelabel`` on one short article in a fresh process, best of three."""
    command = Path(sys.executable).parent / "annotate"
    with tempfile.TemporaryDirectory() as folder:
        article = Path(folder) / "one.txt"
        article.write_text('"We will keep the system," the minister said on Monday.\n', encoding="utf-8")
        runs = []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(
                [str(command), "prelabel", str(article), "-o", f"{folder}/out.jsonl"], check=True, capture_output=True
            )
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs.append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500, help="how many documents to pre-label")
    parser.add_argument("--batch-size", type=int, default=32, help="documents per stance-model batch")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice, one per core)")
    parser.add_argument("--distinct", action="store_true", help="every article once: seeds/ and benchmarks/data/*/docs")
    parser.add_argument("--stance-model", help="as annotate prelabel --stance-model (default: the default model)")
    args = parser.parse_args()
    import torch  # after annotate, which sets torch's OpenMP wait policy before torch starts

    if args.threads:
        torch.set_num_threads(args.threads)

    seeds = list(iter_documents([SEEDS_DIR]))
    if args.distinct:
        documents = seeds + list(iter_documents(sorted(DATA_DIR.glob("*/docs"))))
        kind = "distinct articles"
    else:
        documents = [replace(seed, id=f"{n}-{seed.id}") for n, seed in enumerate(islice(cycle(seeds), args.documents))]
        kind = f"{len(seeds)} seed articles repeated"
    print(
        f"{len(documents)} documents ({kind}), {torch.get_num_threads()} torch threads, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"
    )

    wall, cpu = startup()
    print(f"start-up to the first article (annotate prelabel, one article): {wall:.2f} s wall, {cpu:.2f} CPU s")

    started = time.perf_counter()
    prelabeller = Prelabeller(stance_model=args.stance_model, batch_size=args.batch_size)
    print(f"model load: {time.perf_counter() - started:.2f} s ({prelabeller.model_version})")

    started = time.perf_counter()
    labelled = list(prelabeller.prelabel(documents))
    elapsed = time.perf_counter() - started
    quotes = [quote for document in labelled for quote in document.quotes]
    print(f"prelabel: {elapsed:.2f} s, {len(labelled) / elapsed:.1f} documents/s, {len(quotes) / elapsed:.1f} quotes/s")

    items = [
        item for number, document in enumerate(labelled) for item in stance_items(document, prelabeller.sides, number)
    ]
    started = time.perf_counter()
    prelabeller.stance_model.predict(items)
    elapsed = time.perf_counter() - started
    print(f"stance model alone: {elapsed:.2f} s, {len(quotes) / elapsed:.1f} quotes/s")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
