"""Learning curve of the stance model: the zero-shot default against the fine-tuned classifier trained on
more and more human-labelled quotes, by stratified k-fold cross-validation on an exported dataset.

Stance only: each quote comes with its gold span and speaker, so extraction errors do not enter. Every
fine-tuned model is saved and reloaded through ``load_stance_model``, as ``annotate prelabel`` uses it.
Without --dataset the seeds dev gold (tests/data/seeds-gold.json) is converted to the export format first.

    .venv/bin/python benchmarks/learning_curve.py [--dataset exports/NAME] [--folds 4] [--sizes 10 20 0] [--cores 2]

A size of 0 means the whole training part of each fold.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quiet_cores import pin_cores_and_quiet  # noqa: E402
from annotate.gold import read_gold_json, write_gold_dataset  # noqa: E402
from annotate.metrics import stance_scores  # noqa: E402
from annotate.train import Settings, fine_tune, load_labelled_quotes, score  # noqa: E402


def subsample(quotes, size: int, seed: int):
    """``size`` quotes in the label proportions of ``quotes`` where every label can be kept, else at random."""
    from sklearn.model_selection import train_test_split

    if not size or size >= len(quotes):
        return list(quotes)
    try:
        return train_test_split(list(quotes), train_size=size, random_state=seed, stratify=[q.label for q in quotes])[0]
    except ValueError:
        return train_test_split(list(quotes), train_size=size, random_state=seed)[0]


def mean_sd(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="exported dataset folder; default: the seeds dev gold")
    parser.add_argument("--target", type=Path, help="target file; default: the packaged S-400 target")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 0], help="training quotes per fold (0: all)")
    parser.add_argument("--epochs", type=float, default=None, help="default: annotate train's")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()

    cpus = pin_cores_and_quiet(args.cores)
    from sklearn.model_selection import StratifiedKFold

    from annotate.stance import load_stance_model, load_target

    target = load_target(args.target)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="learning-curve-") as scratch:
        dataset = args.dataset
        if dataset is None:
            dataset = Path(scratch) / "seeds-gold"
            write_gold_dataset(read_gold_json(ROOT / "tests/data/seeds-gold.json", ROOT / "seeds"), dataset)
        quotes = load_labelled_quotes(dataset)
        labels = [q.label for q in quotes]
        print(f"{dataset}: {len(quotes)} quotes ({', '.join(f'{label} {labels.count(label)}' for label in ('favor', 'against', 'none'))}); {args.folds}-fold cross-validation")

        zero_shot = load_stance_model(None, target)
        results: dict[str, dict[str, list[float]]] = {}

        def record(name: str, scores: dict, training_quotes: int | None = None) -> None:
            row = results.setdefault(name, {"n": [], "accuracy": [], "macro_f1": []})
            row["accuracy"].append(scores["accuracy"])
            row["macro_f1"].append(scores["macro_f1"])
            if training_quotes is not None:
                row["n"].append(training_quotes)

        folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed).split(quotes, labels)
        for fold, (train_index, test_index) in enumerate(folds, start=1):
            train_part = [quotes[i] for i in train_index]
            test_part = [quotes[i] for i in test_index]
            predicted = zero_shot.predict([q.quote for q in test_part], [q.doc_id for q in test_part])
            default = stance_scores([q.label for q in test_part], [s.label for s in predicted])
            record(f"zero-shot {zero_shot.version}", default)
            for size in args.sizes:
                subset = subsample(train_part, size, args.seed + fold)
                model, tokenizer = fine_tune(subset, target, settings=Settings(epochs=args.epochs, seed=args.seed))
                folder = Path(scratch) / f"fold{fold}-n{len(subset)}"
                model.save_pretrained(folder)
                tokenizer.save_pretrained(folder)
                tuned = score(folder, target, test_part)
                record(f"fine-tuned, {'all' if not size else size} quotes", tuned, len(subset))
                print(f"  fold {fold}: {len(subset):>3} training quotes -> accuracy {tuned['accuracy']:.3f}, macro-F1 {tuned['macro_f1']:.3f} (zero-shot {default['accuracy']:.3f} / {default['macro_f1']:.3f})", flush=True)

    print()
    print(f"{'model':<32} {'train quotes':>12} {'accuracy (mean ± sd)':>22} {'macro-F1 (mean ± sd)':>22}")
    for name, row in results.items():
        size = f"{statistics.mean(row['n']):.0f}" if row["n"] else "-"
        print(f"{name:<32} {size:>12} {mean_sd(row['accuracy']):>22} {mean_sd(row['macro_f1']):>22}")
    print(f"\n{len(cpus)} cores, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
