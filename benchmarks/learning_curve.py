"""Learning curve of the stance model on unseen news: after correcting part of a corpus, stance on the rest.

The corpus is split by article: a fixed share of the articles (shuffled with --seed) is held out for scoring, and
the stance model learns, as ``annotate train`` does, from the gold quotes of the first k of the other articles
(k = 0 is the default model, learned without the corpus quotes of these articles' sets). Scoring re-runs the
whole pre-labeller on the held-out articles (extraction, speakers, speaker pooling), so the figures are those an
annotator would meet.
A reliability table (confidence of the chosen label against how often it is right) follows for the default and
for the largest k.

The corpora in benchmarks/data/ were written for this project in several house styles, with gold per the
guideline; each was scored once by the earlier default before anything was tuned (README, "How good").

    .venv/bin/python benchmarks/learning_curve.py                      # the S-400 corpus (eight sets, 61 articles)
    .venv/bin/python benchmarks/learning_curve.py --corpus benchmarks/data/phones --target benchmarks/data/targets/phones.yaml --ks 0 3 --held-out 0.5
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiet_cores import pin_cores_and_quiet  # noqa: E402

from annotate.evaluate import compare  # noqa: E402
from annotate.gold import read_gold_json  # noqa: E402
from annotate.pipeline import Prelabeller  # noqa: E402
from annotate.stance import SpeakerMemory  # noqa: E402
from annotate.stance.learned import HeadStance, target_sentences  # noqa: E402
from annotate.train import labelled_quotes, learn  # noqa: E402

S400_SETS = (
    "s400_wire",
    "s400_broadsheet",
    "s400_transcript",
    "s400_uspolitics",
    "s400_regional",
    "s400_live",
    "s400_mixed",
    "s400_late",
)
S400_CORPUS = [ROOT / "benchmarks" / "data" / name for name in S400_SETS]


def run(prelabeller: Prelabeller, model, gold):
    """The pre-labeller with ``model`` and a fresh speaker memory, run over the gold articles' texts."""
    from annotate.data import Document

    labeller = copy.copy(prelabeller)
    labeller.stance_model, labeller.memory = model, SpeakerMemory()
    fresh = [Document(g.document.id, g.document.text, g.document.source) for g in gold]
    return list(labeller.prelabel(fresh))


def reliability(gold, predicted) -> str:
    """Confidence bins of the matched quotes: count, mean confidence, accuracy."""
    from annotate.metrics import match_spans

    bins: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for gold_document, document in zip(gold, predicted, strict=True):
        references = gold_document.references
        spans = [(r.quote.start, r.quote.end) for r in references]
        for gi, pj in match_spans(spans, [(q.start, q.end) for q in document.quotes]):
            stance = document.quotes[pj].stance
            confidence = stance.scores[stance.label]
            bins[min(int(confidence * 10), 9)].append((confidence, stance.label in references[gi].stances))
    lines = ["| confidence | quotes | mean confidence | accuracy |", "|---|---|---|---|"]
    for number, entries in sorted(bins.items()):
        mean = sum(c for c, _ in entries) / len(entries)
        accuracy = sum(ok for _, ok in entries) / len(entries)
        lines.append(f"| {number / 10:.1f}-{(number + 1) / 10:.1f} | {len(entries)} | {mean:.2f} | {accuracy:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--corpus", type=Path, nargs="+", default=S400_CORPUS, help="folders holding gold.json and docs/"
    )
    parser.add_argument("--target", type=Path, help="target file (default: the packaged S-400 target)")
    parser.add_argument("--ks", type=int, nargs="+", default=[0, 5, 10, 20], help="articles corrected before scoring")
    parser.add_argument("--held-out", type=float, default=0.35, help="share of the articles held out for scoring")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    pin_cores_and_quiet(args.cores)

    articles = [
        document for folder in args.corpus for document in read_gold_json(folder / "gold.json", folder / "docs")
    ]
    random.Random(args.seed).shuffle(articles)
    held = max(1, round(len(articles) * args.held_out))
    test, pool = articles[:held], articles[held:]
    prelabeller = Prelabeller(target=args.target)
    # The default learns from the target's corpus; the articles scored here must be new to it.
    target = prelabeller.target.without_sets({folder.name for folder in args.corpus})
    default = prelabeller.stance_model
    if target is not prelabeller.target:
        default = HeadStance(default.encoder, target_sentences(target).head(default.encoder), "default-unseen", target)
    print(
        f"{len(articles)} articles: {len(test)} held out ({sum(len(g.references) for g in test)} gold quotes), "
        f"up to {len(pool)} to learn from; target {prelabeller.target.name}, default model {default.version}\n"
    )
    print("| articles corrected | quotes learned from | stance accuracy | macro-F1 | quotes scored |")
    print("|---|---|---|---|---|")
    tables = {}
    for k in [k for k in args.ks if k <= len(pool)]:
        if k == 0:
            model, quotes = default, []
        else:
            quotes = labelled_quotes(pool[:k], target)
            model = HeadStance(default.encoder, learn(quotes, target, default.encoder), f"corrected-{k}", target)
        predicted = run(prelabeller, model, test)
        stance = compare(test, predicted)["stance"]
        print(
            f"| {k} | {len(quotes)} | {stance['accuracy']:.3f} | {stance['macro_f1']:.3f} | {stance['n']} |", flush=True
        )
        tables[k] = reliability(test, predicted)
    for k in sorted({min(tables), max(tables)}):
        print(f"\nReliability after {k} corrected articles (the chosen label's probability against its accuracy):\n")
        print(tables[k])


if __name__ == "__main__":
    main()
