"""Learning from corrections: the model learns what the default cannot know, writes a folder that prelabel loads
directly, starts from the default's knowledge, and the same seed gives the same model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from itertools import cycle, product

import pytest

from annotate.data import Document, Quote, Speaker, Stance
from annotate.dataset import write_gold_dataset
from annotate.errors import UserError
from annotate.gold import GoldDocument, Reference
from annotate.metrics import stance_scores
from annotate.stance import load_stance_model, load_target
from annotate.train import Settings, labelled_quotes, split, train

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
FAVOR_AGAINST_TEMPLATES = [
    "{subject} is {signal} for {group}",
    "{group} call {subject} {signal}",
    "Everyone sees that {subject} is {signal}",
]
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
            quote = Quote(
                start,
                start + len(content),
                content,
                speaker=Speaker(speaker_start, speaker_start + len(speaker), speaker, speaker),
                stance=Stance(label),
            )
            references.append(Reference(quote, [speaker], [label]))
        documents.append(
            GoldDocument(Document(f"article-{number}", text), references, task_id=number + 1, annotation_id=number + 1)
        )
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
        [
            *ANNOTATE,
            "train",
            "--dataset",
            str(dataset),
            "--output",
            str(output),
            "--target",
            str(target),
            "--test-size",
            "0.2",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "macro-F1" in done.stdout

    config = json.loads((output / "stance_head.json").read_text())
    assert config["labels"] == ["favor", "against", "none"] and config["encoder"] == "packaged"
    info = json.loads((output / "metrics.json").read_text())
    assert info["test_quotes"] > 0 and info["stratified"] and info["metrics"]["n"] == info["test_quotes"]
    assert "macro-F1" in (output / "README.md").read_text()
    assert not list(output.parent.glob(".*")), "no staging folder may be left behind"

    stance_target = load_target(target)
    held_out = labelled_quotes(as_documents(made_up_quotes(HELD_OUT_GROUPS, every=2)), stance_target)
    fine_tuned = load_stance_model(str(output), stance_target)
    zero_shot = load_stance_model(None, stance_target)
    # the version names the folder and the run: a content hash of the weights
    assert re.fullmatch(r"tandle-v1-[0-9a-f]{8}", fine_tuned.version) and fine_tuned.version == info["version"]

    def scores(model):
        predicted = model.predict([q.item for q in held_out])
        return stance_scores([q.label for q in held_out], [s.label for s in predicted])

    tuned, default = scores(fine_tuned), scores(zero_shot)
    assert tuned["accuracy"] > default["accuracy"] + 0.2, (tuned["accuracy"], default["accuracy"])
    assert tuned["macro_f1"] > default["macro_f1"] + 0.2, (tuned["macro_f1"], default["macro_f1"])

    # a second training into the same folder (another split) is another model version
    again = subprocess.run([*ANNOTATE, "train", "--dataset", str(dataset), "--output", str(output), "--target",
                            str(target), "--seed", "4"], capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert load_stance_model(str(output), stance_target).version not in ("tandle-v1", fine_tuned.version)


def test_the_same_seed_gives_the_same_model_and_another_seed_another_split(tmp_path, target):
    dataset = tmp_path / "tandle"
    write_gold_dataset(as_documents(made_up_quotes(TRAIN_GROUPS, every=2)), dataset)
    stance_target = load_target(target)

    def weights(seed: int, name: str):
        info = train(dataset, tmp_path / name, stance_target, settings=Settings(seed=seed))
        return (tmp_path / name / "stance_head.safetensors").read_bytes(), info

    (first, _), (again, _), (other, _) = weights(5, "a"), weights(5, "b"), weights(6, "c")
    assert first == again
    assert first != other


def test_corrections_add_to_what_the_default_knows(tmp_path):
    """Trained on a few corrections of a new kind, the model still reads the default target's own examples."""
    stance_target = load_target(None)
    sentences = stance_target.labelled_sentences()[::20]
    documents = as_documents(made_up_quotes(TRAIN_GROUPS, every=4)[:12])
    dataset = tmp_path / "few"
    write_gold_dataset(documents, dataset)
    train(dataset, tmp_path / "model", stance_target, settings=Settings(test_size=0))
    model = load_stance_model(str(tmp_path / "model"), stance_target)
    from annotate.stance import StanceItem

    predicted = model.predict(
        [StanceItem(text, "", None, number, quote=quote) for number, (text, quote, _) in enumerate(sentences)]
    )
    right = sum(stance.label == label for stance, (_, _, label) in zip(predicted, sentences, strict=True))
    assert right / len(sentences) >= 0.8, (right, len(sentences))


def test_train_command_fails_in_one_line_on_a_missing_dataset(tmp_path):
    done = subprocess.run(
        [*ANNOTATE, "train", "--dataset", str(tmp_path / "none"), "--output", str(tmp_path / "model")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "model").exists()


def test_the_held_out_share_is_rounded_up_and_must_leave_quotes_to_train_on(tmp_path, target):
    quotes = labelled_quotes(as_documents(made_up_quotes(TRAIN_GROUPS, every=4)), load_target(target))
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


def test_training_stopped_while_it_writes_leaves_the_earlier_model_and_nothing_temporary(tmp_path, target, monkeypatch):
    from annotate import train as training
    from annotate.cli import Stopped

    dataset, output = tmp_path / "tandle", tmp_path / "model"
    write_gold_dataset(as_documents(made_up_quotes(TRAIN_GROUPS, every=2)), dataset)
    train(dataset, output, load_target(target), settings=Settings(seed=5))
    before = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}

    def stopped_half_way(folder, *args):
        (folder / "stance_head.safetensors").write_bytes(b"half a file")
        raise Stopped  # what SIGTERM raises wherever the program is

    monkeypatch.setattr(training, "save_head", stopped_half_way)
    with pytest.raises(Stopped):
        train(dataset, output, load_target(target), settings=Settings(seed=6))
    assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == before
    assert [path.name for path in tmp_path.iterdir() if path.name != "tandle"] == ["model"]
