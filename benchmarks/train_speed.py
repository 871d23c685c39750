"""How long ``annotate train`` takes on 1,000 quotes with the default settings. Goal: under 10 minutes on 2 CPU cores.

The 1,000 quotes are the seeds dev gold quotes, repeated with varied speakers and surrounding words so that
their lengths (what training time depends on) stay those of real news quotes. The whole ``train`` call is
timed: loading the encoder, embedding the quotes and the target's examples, learning the head, scoring the
held-out split and writing the model folder.

    .venv/bin/python benchmarks/train_speed.py [--quotes 1000] [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiet_cores import pin_cores_and_quiet  # noqa: E402

from annotate.data import Document, Quote, Speaker, Stance  # noqa: E402
from annotate.dataset import write_gold_dataset  # noqa: E402
from annotate.gold import GoldDocument, Reference, read_gold_json  # noqa: E402
from annotate.train import train  # noqa: E402

SPEAKERS = ["Maria Lopez", "Ahmet Kaya", "John Miller", "Olga Petrova", "the minister", "a spokesman"]
LEADS = ["", "Indeed, ", "Moreover, ", "As he put it, ", "In short, "]


def varied_documents(count: int, seed: int = 0) -> list[GoldDocument]:
    """``count`` quotes built from the seeds gold, ten to an article."""
    rng = random.Random(seed)
    gold = [r.quote for d in read_gold_json(ROOT / "tests/data/seeds-gold.json", ROOT / "seeds") for r in d.references]
    documents = []
    for number in range(0, count, 10):
        text, references = "", []
        for _ in range(min(10, count - number)):
            source = rng.choice(gold)
            speaker, content = rng.choice(SPEAKERS), rng.choice(LEADS) + source.text
            speaker_start = len(text)
            text += f'{speaker} said: "'
            start = len(text)
            text += f'{content}" '
            quote = Quote(
                start,
                start + len(content),
                content,
                speaker=Speaker(speaker_start, speaker_start + len(speaker), speaker, speaker),
                stance=Stance(source.stance.label),
            )
            references.append(Reference(quote, [speaker], [source.stance.label]))
        documents.append(
            GoldDocument(Document(f"article-{number}", text), references, task_id=number + 1, annotation_id=number + 1)
        )
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()

    cpus = pin_cores_and_quiet(args.cores)

    from annotate.stance import load_target

    with tempfile.TemporaryDirectory(prefix="train-speed-") as scratch:
        dataset = Path(scratch) / "varied-seeds"
        write_gold_dataset(varied_documents(args.quotes), dataset)
        started, cpu_started = time.perf_counter(), time.process_time()
        info = train(dataset, Path(scratch) / "model", load_target(None))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"cores: {len(cpus)} (torch threads {len(cpus)})")
    print(f"quotes: {info['quotes']} ({info['train_quotes']} train, {info['test_quotes']} held out)")
    print(f"train + score + save: {elapsed:.1f} s")
    # On a shared machine wall time includes waiting for the CPU: CPU time and the load average tell how much.
    print(f"CPU time: {cpu:.0f} s; load average now {os.getloadavg()[0]:.1f}")
    print(f"goal: under 600 s -> {'met' if elapsed < 600 else 'NOT met'}")


if __name__ == "__main__":
    main()
