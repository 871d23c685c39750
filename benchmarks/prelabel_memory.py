"""Peak memory of ``annotate prelabel`` as the corpus grows: it streams, so the peak should stay flat.

usage: python benchmarks/prelabel_memory.py [--sizes 1000 10000 50000]

Each corpus is a JSONL of articles drawn from the repo's real ones (``benchmarks/corpus.py``), pre-labelled in its
own process; the peak resident memory of that process (``wait4``'s ``ru_maxrss``) is printed with the
wall time. At about 25 articles/s on two cores, 50,000 articles take about 35 minutes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import corpus

ANNOTATE = Path(sys.executable).parent / "annotate"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    args = parser.parse_args()
    pool = corpus.paragraphs()
    print(f"{len(pool)} paragraphs to draw from")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path, output = Path(folder) / f"corpus-{size}.jsonl", Path(folder) / "out.jsonl"
            corpus.write_jsonl(path, corpus.articles(size, pool))
            run = corpus.measured([str(ANNOTATE), "prelabel", str(path), "-o", str(output)])
            peak, wall = run["peak_mib"], run["wall"]
            print(f"{size:7d} articles: peak {peak:7.0f} MiB, {wall:7.1f} s ({size / wall:.1f} articles/s)")
            output.unlink()


if __name__ == "__main__":
    main()
