"""The real pre-labeller (default model) on the seed articles, scored by the project's gold scorer.

``tests/data/score.py`` is an unchanged copy of the shared scorer, so the figures match the ones reported for
unseen articles.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from conftest import SEEDS_DIR

from annotate.documents import iter_documents

DATA = Path(__file__).resolve().parent / "data"


def load_scorer():
    spec = importlib.util.spec_from_file_location("seeds_scorer", DATA / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    return scorer


def test_prelabels_of_the_seeds_match_the_gold(prelabeller, tmp_path):
    predictions = tmp_path / "seeds.jsonl"
    with predictions.open("w", encoding="utf-8") as handle:
        for document in prelabeller.prelabel(iter_documents([SEEDS_DIR])):
            handle.write(json.dumps(document.to_dict(), ensure_ascii=False) + "\n")
    scores = load_scorer().main(str(DATA / "seeds-gold.json"), str(SEEDS_DIR), str(predictions), as_json=True)
    assert scores["quote_F1"] >= 0.90, scores
    assert scores["speaker_acc"] >= 0.90, scores
    assert scores["stance_acc"] >= 0.80, scores
