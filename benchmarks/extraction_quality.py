"""Extraction quality and speed without the stance model: quote P/R/F1 (overlap >= 50%, as the shared scorer),
speaker accuracy of matched quotes, recall by quote type and milliseconds per article, per gold set.

usage: python benchmarks/extraction_quality.py [SET ...] [--json] [--misses SET]

A SET is a folder holding ``gold.json`` and ``docs/`` (default: every folder under benchmarks/data) or ``seeds``
(the seed articles with tests/data/seeds-gold.json). ``--misses SET`` prints that set's missed gold quotes, false
positives and wrong speakers, for error analysis. Goal (issue 9): recall >= 0.95 at precision >= 0.95, speaker
accuracy >= 0.95, about 10 ms per article on one core.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from annotate.data import Document
from annotate.dataset import load_gold
from annotate.evaluate import compare, speaker_correct
from annotate.extract import extract
from annotate.metrics import match_spans

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "benchmarks" / "data"


def gold_of(name: str):
    if name == "seeds":
        return load_gold(ROOT / "tests" / "data" / "seeds-gold.json", ROOT / "seeds")
    folder = Path(name) if Path(name).is_dir() else DATA_DIR / name
    return load_gold(folder / "gold.json", folder / "docs")


def score(name: str, misses: bool = False) -> dict:
    gold = gold_of(name)
    predicted, seconds = [], 0.0
    for reference in gold:
        document = Document(id=reference.document.id, text=reference.document.text)
        started = time.perf_counter()
        document.quotes = extract(document.text)
        seconds += time.perf_counter() - started
        predicted.append(document)
    report = compare(gold, predicted)
    by_type, found_by_type = Counter(), Counter()
    for reference_document, document in zip(gold, predicted):
        references = reference_document.references
        pairs = match_spans(
            [(r.quote.start, r.quote.end) for r in references], [(q.start, q.end) for q in document.quotes]
        )
        matched = dict(pairs)
        for gi, reference in enumerate(references):
            if reference.optional:
                continue
            by_type[reference.quote.type] += 1
            found_by_type[reference.quote.type] += gi in matched
        if misses:
            show_misses(reference_document, document, matched)
    overlap = report["quotes"]["overlap"]
    return {
        "set": name,
        "documents": len(gold),
        "P": round(overlap["precision"], 3),
        "R": round(overlap["recall"], 3),
        "F1": round(overlap["f1"], 3),
        "speaker": round(report["speaker"]["accuracy"] or 0.0, 3),
        "recall_by_type": {kind: round(found_by_type[kind] / by_type[kind], 3) for kind in sorted(by_type)},
        "ms_per_article": round(1000 * seconds / max(1, len(gold)), 2),
    }


def show_misses(reference_document, document, matched: dict[int, int]) -> None:
    text = document.text
    name = reference_document.document.source or reference_document.document.id
    used = set(matched.values())
    for gi, reference in enumerate(reference_document.references):
        quote = reference.quote
        if gi not in matched and not reference.optional:
            print(f"MISS {name} [{quote.type}] {text[quote.start : quote.end][:140]!r}")
        elif gi in matched:
            predicted = document.quotes[matched[gi]]
            if not speaker_correct(reference, predicted):
                said = predicted.speaker.name if predicted.speaker else None
                print(
                    f"SPKR {name} gold={reference.aliases[:2]} got={said!r} rule={getattr(predicted, 'rule', '')} "
                    f"{text[quote.start : quote.end][:80]!r}"
                )
    for pj, predicted in enumerate(document.quotes):
        if pj not in used:
            print(f"FP   {name} [{predicted.type} {getattr(predicted, 'rule', '')}] {predicted.text[:140]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help="gold set folders or names under benchmarks/data, or 'seeds'")
    parser.add_argument("--json", action="store_true", help="one JSON object per set")
    parser.add_argument("--misses", action="store_true", help="print missed quotes, false positives and wrong speakers")
    args = parser.parse_args()
    names = args.sets or ["seeds", *sorted(p.name for p in DATA_DIR.iterdir() if (p / "gold.json").exists())]
    rows = [score(name, args.misses) for name in names]
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            types = " ".join(f"{k}={v:.2f}" for k, v in row["recall_by_type"].items())
            print(
                f"{row['set']:<18} P {row['P']:.3f}  R {row['R']:.3f}  F1 {row['F1']:.3f}  speaker {row['speaker']:.3f}"
                f"  {row['ms_per_article']:6.2f} ms/article  recall {types}"
            )
    if len(rows) > 1 and not args.json:
        mean = {key: sum(row[key] for row in rows) / len(rows) for key in ("P", "R", "F1", "speaker", "ms_per_article")}
        print(
            f"{'mean':<18} P {mean['P']:.3f}  R {mean['R']:.3f}  F1 {mean['F1']:.3f}  speaker {mean['speaker']:.3f}"
            f"  {mean['ms_per_article']:6.2f} ms/article"
        )


if __name__ == "__main__":
    main()
