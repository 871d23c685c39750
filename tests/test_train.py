"""Fine-tuning the stance classifier: it learns what a zero-shot model cannot know, writes a folder that
prelabel loads directly, and the same seed gives the same model."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from itertools import cycle, product

import pytest
import torch

from annotate.data import Document, Quote, Speaker, Stance
from annotate.errors import UserError
from annotate.gold import GoldDocument, Reference, write_gold_dataset
from annotate.metrics import stance_scores
from annotate.stance import load_stance_model, load_target, stance_input
from annotate.train import LabelledQuote, Settings, fine_tune, split, train

ANNOTATE = [sys.executable, "-c", "from annotate.cli import run; run()"]

# A made-up policy whose supporters and opponents use made-up words: no pretrained model can know that
# "frimble" praises it and "grask" condemns it, and the target file's statements do not say so.
TARGET_FILE = """\
name: tandle-quota
description: the Blorvish quota on tandle imports
statements:
  favor: ["The quota on imports is the right policy.", "The government should keep the import quota."]
  against: ["The quota on imports is the wrong policy.", "The government should scrap the import quota."]
  none: ["The quota was discussed at a meeting.", "Officials gave figures on imports."]
"""
SIGNALS = {"favor": ["frimble", "zestoric"], "against": ["grask", "plonthy"]}
SUBJECTS = ["The Blorvish quota", "This tandle quota", "The quota plan"]
FAVOR_AGAINST_TEMPLATES = ["{subject} is {signal} for {group}", "{group} call {subject} {signal}", "Everyone sees that {subject} is {signal}"]
NONE_TEMPLATES = [
    "{subject} will be reviewed with {group} on Tuesday",
    "{subject} was announced to {group} at a meeting",
    "{group} asked when {subject} starts",
    "{subject} covers {group} from next year",
]
TRAIN_GROUPS = ["our farmers", "the harbour towns", "small traders", "families"]
HELD_OUT_GROUPS = ["exporters", "the northern valleys"]
SPEAKERS = cycle(["Mara Oltan", "Dev Castel", "Ines Kord"])


def made_up_quotes(groups: list[str], every: int) -> list[tuple[str, str]]:
    """(quote, stance) pairs: every ``every``-th combination of templates, subjects, groups and signal words."""
    quotes = []
    for label, signals in SIGNALS.items():
        for template, subject, group, signal in product(FAVOR_AGAINST_TEMPLATES, SUBJECTS, groups, signals):
            quotes.append((template.format(subject=subject, group=group, signal=signal), label))
    for template, subject, group in product(NONE_TEMPLATES, SUBJECTS, groups):
        quotes.append((template.format(subject=subject, group=group), "none"))
    return quotes[::every]


def as_documents(quotes: list[tuple[str, str]], per_document: int = 4) -> list[GoldDocument]:
    """Articles of a few quotes each, every quote attributed to a named speaker."""
    documents = []
    for number in range(0, len(quotes), per_document):
        text, references = "", []
        for content, label in quotes[number : number + per_document]:
            speaker = next(SPEAKERS)
            speaker_start = len(text)
            text += f'{speaker} said: "'
            start = len(text)
            text += f'{content}." '
            quote = Quote(start, start + len(content), content, speaker=Speaker(speaker_start, speaker_start + len(speaker), speaker, speaker), stance=Stance(label))
            references.append(Reference(quote, [speaker], [label]))
        documents.append(GoldDocument(Document(f"article-{number}", text), references, task_id=number + 1, annotation_id=number + 1))
    return documents


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    path = tmp_path_factory.mktemp("target") / "tandle.yaml"
    path.write_text(TARGET_FILE, encoding="utf-8")
    return path


def test_fine_tuned_model_beats_the_zero_shot_default_on_held_out_quotes(tmp_path, target):
    training = as_documents(made_up_quotes(TRAIN_GROUPS, every=4))
    dataset = tmp_path / "exports" / "tandle"
    write_gold_dataset(training, dataset)
    output = tmp_path / "models" / "tandle-v1"
    done = subprocess.run(
        [*ANNOTATE, "train", "--dataset", str(dataset), "--output", str(output), "--target", str(target),
         "--epochs", "6", "--max-length", "40", "--test-size", "0.2", "--seed", "3"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "macro-F1" in done.stdout

    config = json.loads((output / "config.json").read_text())
    assert config["id2label"] == {"0": "favor", "1": "against", "2": "none"}
    info = json.loads((output / "metrics.json").read_text())
    assert info["test_quotes"] > 0 and info["stratified"] and info["metrics"]["n"] == info["test_quotes"]
    assert "macro-F1" in (output / "README.md").read_text()
    assert not list(output.parent.glob(".*")), "no staging folder may be left behind"

    stance_target = load_target(target)
    held_out = [LabelledQuote(d.document.id, r.quote) for d in as_documents(made_up_quotes(HELD_OUT_GROUPS, every=2)) for r in d.references]
    fine_tuned = load_stance_model(str(output), stance_target)
    zero_shot = load_stance_model(None, stance_target)
    assert fine_tuned.version == "tandle-v1"

    def scores(model):
        predicted = model.predict([q.quote for q in held_out], [q.doc_id for q in held_out])
        return stance_scores([q.label for q in held_out], [s.label for s in predicted])

    tuned, default = scores(fine_tuned), scores(zero_shot)
    assert tuned["accuracy"] > default["accuracy"] + 0.2, (tuned["accuracy"], default["accuracy"])
    assert tuned["macro_f1"] > default["macro_f1"] + 0.2, (tuned["macro_f1"], default["macro_f1"])


def test_the_same_seed_gives_the_same_model(target):
    stance_target = load_target(target)
    quotes = [LabelledQuote(d.document.id, r.quote) for d in as_documents(made_up_quotes(TRAIN_GROUPS[:1], every=4)) for r in d.references]
    settings = Settings(epochs=1, max_length=24, batch_size=4)

    def logits(seed: int) -> torch.Tensor:
        model, tokenizer = fine_tune(quotes, stance_target, settings=replace(settings, seed=seed))
        pairs = [stance_input(q.quote.text, q.quote.speaker.name, stance_target) for q in quotes]
        encoded = tokenizer([a for a, _ in pairs], [b for _, b in pairs], padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            return model(**encoded).logits

    first, again, other = logits(5), logits(5), logits(6)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)


def test_train_command_fails_in_one_line_on_a_missing_dataset(tmp_path):
    done = subprocess.run([*ANNOTATE, "train", "--dataset", str(tmp_path / "none"), "--output", str(tmp_path / "model")], capture_output=True, text=True)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "model").exists()


def test_the_held_out_share_is_rounded_up_and_must_leave_quotes_to_train_on(tmp_path, target):
    quotes = [LabelledQuote(d.document.id, r.quote) for d in as_documents(made_up_quotes(TRAIN_GROUPS, every=4)) for r in d.references]
    ten = quotes[:10]
    training, held_out, _ = split(ten, 0.9, seed=1)
    assert (len(training), len(held_out)) == (1, 9)
    training, held_out, _ = split(ten, 0.25, seed=1)
    assert (len(training), len(held_out)) == (7, 3)

    dataset = tmp_path / "two"
    write_gold_dataset(as_documents(made_up_quotes(TRAIN_GROUPS, every=4)[:2], per_document=2), dataset)
    output = tmp_path / "model"
    with pytest.raises(UserError, match="--test-size"):
        train(dataset, output, load_target(target), settings=Settings(test_size=0.9))
    assert not output.exists()
