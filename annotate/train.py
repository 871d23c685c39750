"""Learn a stance model from the human-labelled quotes of an exported dataset: annotators' corrections.

Training starts from what the target's default model knows: the head is learned on the same frozen encoder from
the target's statements and examples together with the corrections, which are weighted to make up at least a
third of the data, so that a few dozen corrections add to it instead of being drowned or replacing it. Each
quote is read as prediction reads it (the quote with its cue and sentence, ``stance.stance_items``), and the
folder written is loaded by ``annotate prelabel --stance-model`` with the same speaker pooling.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .data import STANCE_LABELS, Document
from .dataset import load_gold
from .errors import UserError
from .files import atomic_folder
from .gold import GoldDocument
from .metrics import stance_scores
from .stance import SideFinder, StanceItem, Target, packaged_encoder, stance_items
from .stance.learned import (
    Encoder,
    Head,
    HeadStance,
    Labelled,
    head_digest,
    is_head,
    load_head,
    save_head,
    target_sentences,
)
from .stance.models import StanceModel, locate

METRICS_FILE = "metrics.json"
# Fewer quotes of a label than this teach nothing reliable about it, and score nothing: a model learned from
# them is refused, so that the backend's retraining keeps the model it serves until there are enough.
MIN_QUOTES_PER_LABEL = 5


@dataclass
class Settings:
    seed: int = 13
    test_size: float = 0.2


@dataclass
class LabelledQuote:
    doc_id: str
    item: StanceItem
    label: str


def labelled_quotes(documents: Sequence[GoldDocument], target: Target) -> list[LabelledQuote]:
    """Each human-labelled quote as the stance model reads it; a quote that several annotators labelled alike
    counts once."""
    sides = SideFinder(target)
    seen: set[tuple] = set()
    quotes = []
    for gold in documents:
        document = Document(gold.document.id, gold.document.text, quotes=[r.quote for r in gold.references])
        for reference, item in zip(gold.references, stance_items(document, sides, gold.document.id), strict=True):
            quote = reference.quote
            key = (gold.document.id, quote.start, quote.end, item.speaker, reference.stance)
            if key not in seen:
                seen.add(key)
                quotes.append(LabelledQuote(gold.document.id, item, reference.stance))
    return quotes


def load_labelled_quotes(dataset: Path, target: Target) -> list[LabelledQuote]:
    """The labelled quotes of an exported dataset folder."""
    return labelled_quotes(load_gold(dataset), target)


def split(
    quotes: Sequence[LabelledQuote], test_size: float, seed: int
) -> tuple[list[LabelledQuote], list[LabelledQuote], bool]:
    """Training and held-out quotes, and whether the split kept the label proportions (stratified): it
    does when every label has enough quotes for both sides."""
    from sklearn.model_selection import train_test_split

    if not test_size:
        return list(quotes), [], False
    # Counted as scikit-learn counts a share (rounded up), so both sides are known to be non-empty here.
    held_out = math.ceil(len(quotes) * test_size)
    if held_out >= len(quotes):
        raise UserError(
            f"holding out {test_size:g} of {len(quotes)} labelled quotes leaves none to train on; give a smaller --test-size or more quotes"
        )
    labels = [q.label for q in quotes]
    try:
        train, test = train_test_split(list(quotes), test_size=held_out, random_state=seed, stratify=labels)
        return train, test, True
    except ValueError:  # too few quotes of some label to stratify
        train, test = train_test_split(list(quotes), test_size=held_out, random_state=seed)
        return train, test, False


def check_enough(quotes: Sequence[LabelledQuote], held_out: bool, dataset: Path) -> None:
    """Refuse to learn from too few quotes: at least ``MIN_QUOTES_PER_LABEL`` of one label (the target's own
    examples teach the others), and of two labels when some are held out, since scores on one label mean nothing."""
    counts = Counter(q.label for q in quotes)
    labels_needed = 2 if held_out else 1
    if sum(counts[label] >= MIN_QUOTES_PER_LABEL for label in STANCE_LABELS) < labels_needed:
        found = ", ".join(f"{counts[label]} {label}" for label in STANCE_LABELS)
        needed = (
            f"{MIN_QUOTES_PER_LABEL} of each of two labels to hold some out for scores (--test-size 0: none held out)"
            if held_out
            else f"{MIN_QUOTES_PER_LABEL} of one label"
        )
        raise UserError(f"{dataset}: too few labelled quotes to train on ({found}); training needs at least {needed}")


def base_encoder(base_model: str | None, target: Target) -> Encoder:
    """The encoder to learn on: the packaged all-MiniLM-L6-v2, or ``base_model`` (a sentence encoder, or a
    stance head folder whose encoder is then used)."""
    folder, name = packaged_encoder() if base_model is None else locate(base_model)
    return load_head(folder, name, target).encoder if is_head(folder) else Encoder(folder, name)


def learn(quotes: Sequence[LabelledQuote], target: Target, encoder: Encoder) -> Head:
    """A head learned from the corrections and the target's statements and examples."""
    if not quotes:
        raise UserError("no labelled quotes to train on")
    sentences = target_sentences(target)
    correction_weight = max(1.0, sum(sentences.weights) / (2 * len(quotes)))
    corrections = Labelled(
        [q.item.text for q in quotes], [q.item.quote for q in quotes], [q.label for q in quotes],
        [correction_weight] * len(quotes),
    )  # fmt: skip
    return (corrections + sentences).head(encoder)


def score(model: StanceModel, quotes: Sequence[LabelledQuote]) -> dict[str, Any]:
    """Stance scores of ``model`` on ``quotes``, with the speaker pooling ``annotate prelabel`` uses."""
    predicted = model.predict([q.item for q in quotes])
    return stance_scores([q.label for q in quotes], [stance.label for stance in predicted])


def _card(name: str, info: dict[str, Any]) -> str:
    from huggingface_hub import ModelCard, ModelCardData

    metrics = info["metrics"]
    held_out = (
        f"accuracy **{metrics['accuracy']:.3f}**, macro-F1 **{metrics['macro_f1']:.3f}** on {metrics['n']} held-out quotes "
        f"({'stratified' if info['stratified'] else 'random'} split, seed {info['settings']['seed']})"
        if metrics
        else "none (trained on every quote: no held-out split)"
    )
    counts = " · ".join(f"{label} {info['label_counts'][label]}" for label in STANCE_LABELS)
    data = ModelCardData(
        base_model=info["base_model"]
        if info["base_model"].count("/") == 1 and not Path(info["base_model"]).exists()
        else None,
        library_name="sentence-transformers",
        pipeline_tag="text-classification",
        tags=["stance-detection", "annotate"],
        metrics=["accuracy", "f1"],
    )
    content = f"""---
{data.to_yaml()}
---

# {name}

Stance of a quotation toward **{info["target"]["name"]}** ({info["target"]["description"]}): `favor`, `against` or
`none`. A head on the frozen encoder `{info["base_model"]}` (a logistic regression blended with the similarity to
the nearest labelled examples), learned by `annotate train` from annotators' corrections and the target's
statements and examples.

## Use

```bash
annotate prelabel ARTICLES --stance-model path/to/{name} --target TARGET_FILE
```

Pass the target it was trained for. The input is the quote with its cue and sentence
(`annotate.stance.stance_items`); the speaker's other quotes
and side of the debate are weighed in after the classifier, as for every stance model of `annotate`.

## Data

`{info["dataset"]}`: {info["quotes"]} human-labelled quotes ({counts}); {info["train_quotes"]} for training,
{info["test_quotes"]} held out.

## Metrics

Held out: {held_out}.

## Training

{json.dumps(info["settings"])}; trained {info["trained_at"]}. Files: `stance_head.json`, `stance_head.safetensors`
(and the encoder in `encoder/` when it is not the packaged all-MiniLM-L6-v2).
"""
    return str(ModelCard(content))


def _is_model(folder: Path) -> bool:
    return (folder / METRICS_FILE).is_file()


def train(
    dataset: Path,
    output: Path,
    target: Target,
    base_model: str | None = None,
    settings: Settings = Settings(),
    encoder: Encoder | None = None,
    reference: StanceModel | None = None,
) -> dict[str, Any]:
    """Learn from the dataset's quotes, hold out ``settings.test_size`` of them for the reported metrics, and
    write the model folder (head, card, metrics.json) to ``output`` in one rename. ``encoder``, when a caller
    already has one loaded (the backend's), is used instead of loading ``base_model``; ``reference``, a model to
    compare with, is scored on the same held-out quotes (``info["reference_metrics"]``)."""
    if output.exists() and not _is_model(output):  # checked before training too, not to waste work on it
        raise UserError(f"{output} exists and is not a model written by annotate train; choose another --output")
    quotes = load_labelled_quotes(dataset, target)
    check_enough(quotes, bool(settings.test_size), dataset)
    train_quotes, test_quotes, stratified = split(quotes, settings.test_size, settings.seed)
    encoder = encoder or base_encoder(base_model, target)
    head = learn(train_quotes, target, encoder)
    version = f"{output.name}-{head_digest(head)}"  # unique per training, so Label Studio tells runs apart
    model = HeadStance(encoder, head, version, target)
    info = {
        "model": output.name,
        "version": version,
        "base_model": encoder.name,
        "dataset": str(dataset),
        "target": {"name": target.name, "description": target.description},
        "quotes": len(quotes),
        "label_counts": {label: Counter(q.label for q in quotes)[label] for label in STANCE_LABELS},
        "train_quotes": len(train_quotes),
        "test_quotes": len(test_quotes),
        "stratified": stratified,
        "settings": asdict(settings),
        "metrics": score(model, test_quotes) if test_quotes else None,
        "reference_metrics": score(reference, test_quotes) if test_quotes and reference else None,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    try:
        with atomic_folder(output, _is_model, "a model written by annotate train") as folder:
            save_head(
                folder, model.head, encoder, {"version": version, "target": target.name, "base_model": encoder.name}
            )
            (folder / METRICS_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8")
            (folder / "README.md").write_text(_card(output.name, info), encoding="utf-8")
    except OSError as exc:  # a full disk: Python's error for a failed write names no file
        raise UserError(f"cannot write the model to {output}: {exc.strerror or exc}") from None
    return info
