"""Corpora of distinct articles for the speed and memory benchmarks, drawn from the repo's real articles, and the
measure of one process run on them (``measured``).

Each article is a seeded random draw of 6 to 10 paragraphs from seeds/ and benchmarks/data/*/docs (so its quotes,
speakers and lengths are those of real news styles). ``distinct=True`` also renames, per article, every
capitalised word inside a sentence (names, places, organisations) and redraws its digits, so two articles that
drew the same paragraph still differ in its text, and no quote is read once for several articles.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Capitalised words after a lower-case word or a comma: inside a sentence, so a name, not a sentence's first word.
INNER_CAPITAL = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}")
SYLLABLES = "ba ken dor li mar sto vel ran tu ho sil pe gra nor wen cal fi da mo rus lan te bri".split()


def paragraphs() -> list[str]:
    articles = sorted({*ROOT.glob("seeds/*.txt"), *ROOT.glob("benchmarks/data/*/docs/*.txt")})
    found = []
    for article in articles:
        found.extend(p.strip() for p in article.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 40)
    return found


def _renamed(text: str, draw: random.Random) -> str:
    names: dict[str, str] = {}

    def name(match: re.Match) -> str:
        word = match.group()
        if word not in names:
            names[word] = "".join(draw.choice(SYLLABLES) for _ in range(draw.randint(2, 3))).capitalize()
        return names[word]

    text = INNER_CAPITAL.sub(name, text)
    return re.sub(r"\d", lambda _: str(draw.randint(0, 9)), text)


def articles(size: int, pool: list[str], distinct: bool = False) -> list[dict]:
    """``size`` articles as ``{"id", "text"}``; the same arguments give the same articles."""
    draw = random.Random(size)
    drawn = []
    for number in range(size):
        text = "\n\n".join(draw.sample(pool, draw.randint(6, 10)))
        drawn.append({"id": f"doc-{number}", "text": _renamed(text, draw) if distinct else text})
    return drawn


def write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as corpus:
        for record in records:
            corpus.write(json.dumps(record, ensure_ascii=False) + "\n")


def measured(command: list[str]) -> dict:
    """Wall and CPU seconds (all threads) and peak resident MiB of one process."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)
        _, status, usage = os.wait4(process.pid, 0)  # wait4, not wait: it gives the child's own usage
        wall = time.perf_counter() - started
        stdout.seek(0), stderr.seek(0)
        output, errors = stdout.read(), stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[:3])} ... failed: {errors.strip().splitlines()[-1:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "stdout": output,
    }
