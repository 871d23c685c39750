"""Stance accuracy and macro-F1 of the default model per article set, each scored as unseen.

The default S-400 model learns from the target's corpus, which holds the quotes of most sets in benchmarks/data
(``tools/build_corpus.py``). A set in the corpus is scored by a model learned without it (leave one set out: the
target's statements, examples and the other sets' quotes), a set outside it by the default itself. Either way the
whole pre-labeller runs on the set's articles (extraction, speakers, speaker pooling), as ``annotate evaluate``.

    .venv/bin/python benchmarks/stance_quality.py                    # every S-400 set
    .venv/bin/python benchmarks/stance_quality.py x12_opinion --json
    .venv/bin/python benchmarks/stance_quality.py phones --target benchmarks/data/targets/phones.yaml
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from learning_curve import run  # noqa: E402
from quiet_cores import pin_cores_and_quiet  # noqa: E402

from annotate.evaluate import compare  # noqa: E402
from annotate.gold import read_gold_json  # noqa: E402
from annotate.pipeline import Prelabeller  # noqa: E402
from annotate.stance.learned import HeadStance, target_sentences  # noqa: E402

DATA_DIR = ROOT / "benchmarks" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", help="set folders or names under benchmarks/data (default: S-400 sets)")
    parser.add_argument("--target", type=Path, help="target file (default: the packaged S-400 target)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    pin_cores_and_quiet(args.cores)
    prelabeller = Prelabeller(target=args.target)
    default, target = prelabeller.stance_model, prelabeller.target
    in_corpus = {quote.set for quote in target.corpus}
    names = args.sets or sorted(p.name for p in DATA_DIR.iterdir() if p.name.startswith(("s400", "x")))
    rows = []
    for name in names:
        folder = Path(name) if Path(name).is_dir() else DATA_DIR / name
        gold = read_gold_json(folder / "gold.json", folder / "docs")
        if folder.name in in_corpus:
            head = target_sentences(target.without_sets({folder.name})).head(default.encoder)
            model, how = HeadStance(default.encoder, head, f"without-{folder.name}", target), "held out"
        else:
            model, how = default, "unseen"
        stance = compare(gold, run(prelabeller, model, gold))["stance"]
        rows.append({"set": folder.name, "how": how, **{k: stance[k] for k in ("n", "accuracy", "macro_f1")}})
        if not args.json:
            print(f"{folder.name:20s} {how:9s} {stance['n']:4d}  {stance['accuracy']:.3f} / {stance['macro_f1']:.3f}")
    mean = {key: statistics.mean(row[key] for row in rows) for key in ("accuracy", "macro_f1")}
    if args.json:
        print(json.dumps({"model": default.version, "sets": rows, "mean": mean}, indent=1))
    else:
        print(f"{'mean':20s} {'':9s} {sum(r['n'] for r in rows):4d}  {mean['accuracy']:.3f} / {mean['macro_f1']:.3f}")


if __name__ == "__main__":
    main()
