"""Evaluation against human annotations: span matching, speakers, stance, the gold converter and the CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.data import Document, Quote, Speaker, Stance
from annotate.dataset import load_gold, write_gold_dataset
from annotate.errors import UserError
from annotate.evaluate import compare
from annotate.gold import GoldDocument, Reference, first_annotation_per_task, read_gold_json

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "seeds-gold.json"
SEEDS = ROOT / "seeds"
SCORER = ROOT / "tests" / "data" / "score.py"  # a copy of the shared scorer
ANNOTATE = [sys.executable, "-c", "from annotate.cli import run; run()"]

TEXT = (
    'Ministers met on Monday. "We will buy the system," said Ana Ruiz, the defence minister. '
    "Critics said the deal was a mistake. Ruiz added that talks would go on."
)


def span_of(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def quote(fragment: str, stance: str = "none", speaker: str | None = None, shift: int = 0) -> Quote:
    start, end = span_of(fragment)
    start += shift
    return Quote(
        start,
        end,
        TEXT[start:end],
        speaker=Speaker(0, 0, speaker or "", speaker or "") if speaker else None,
        stance=Stance(stance),
    )


def reference(fragment: str, stance: str, aliases: list[str], alt: list[str] = (), optional: bool = False) -> Reference:
    return Reference(quote(fragment, stance, aliases[0] if aliases else None), list(aliases), [stance, *alt], optional)


@pytest.fixture
def gold() -> list[GoldDocument]:
    references = [
        reference("We will buy the system,", "favor", ["Ana Ruiz", "Ruiz"]),
        reference("the deal was a mistake", "against", ["Critics"]),
        reference("talks would go on", "none", ["Ana Ruiz", "Ruiz"], alt=["favor"]),
    ]
    return [GoldDocument(Document("doc", TEXT), references)]


def test_overlap_match_forgives_a_shifted_span_that_exact_match_does_not(gold):
    predicted = Document(
        "doc",
        TEXT,
        quotes=[
            quote("We will buy the system,", "favor", "Ana Ruiz"),  # exact
            quote(
                "the deal was a mistake", "against", "Critics", shift=-9
            ),  # "said the deal was a mistake": overlap only
            quote("Ministers met on Monday", "none"),  # spurious
        ],
    )
    report = compare(gold, [predicted])
    assert {k: report["quotes"]["overlap"][k] for k in ("tp", "fp", "fn")} == {"tp": 2, "fp": 1, "fn": 1}
    assert {k: report["quotes"]["exact"][k] for k in ("tp", "fp", "fn")} == {"tp": 1, "fp": 2, "fn": 2}
    assert report["quotes"]["overlap"]["precision"] == pytest.approx(2 / 3)
    assert report["quotes"]["overlap"]["recall"] == pytest.approx(2 / 3)


def test_a_prediction_covering_less_than_half_of_the_gold_span_does_not_match(gold):
    start, end = span_of("We will buy the system,")
    short = Quote(start, start + 5, TEXT[start : start + 5])
    report = compare(gold[:1], [Document("doc", TEXT, quotes=[short])])
    assert report["quotes"]["overlap"]["tp"] == 0


def test_speaker_matches_by_alias_or_surname_and_stance_accepts_alternatives(gold):
    predicted = Document(
        "doc",
        TEXT,
        quotes=[
            quote("We will buy the system,", "favor", "Minister Ana Ruiz"),  # full name inside a longer one
            quote("the deal was a mistake", "favor", "Ana Ruiz"),  # wrong speaker, wrong stance
            quote("talks would go on", "favor", "Ruiz"),  # surname; favor is an accepted alternative
        ],
    )
    report = compare(gold, [predicted])
    assert report["speaker"] == {"accuracy": pytest.approx(2 / 3), "correct": 2, "matched": 3}
    assert report["stance"]["accuracy"] == pytest.approx(2 / 3)
    # Rows are gold (favor, against, none), columns predicted: the accepted alternative counts as the gold label.
    assert report["stance"]["confusion"] == [[2, 0, 0], [1, 0, 0], [0, 0, 0]]
    assert report["stance_by_speaker"]["Critics"]["predicted"]["favor"] == 1
    assert report["end_to_end"]["f1"] == pytest.approx(2 / 3)


def test_optional_gold_quotes_cost_nothing_when_missed_or_overlapped():
    optional = [reference("talks would go on", "none", ["Ruiz"], optional=True)]
    missed = compare([GoldDocument(Document("doc", TEXT), optional)], [Document("doc", TEXT)])
    assert (missed["quotes"]["overlap"]["fn"], missed["quotes"]["overlap"]["fp"]) == (0, 0)
    # A prediction that only grazes the optional quote is neither a match nor a false positive.
    start, end = span_of("Ruiz added that talks would go on")
    grazing = Quote(start, end - 12, TEXT[start : end - 12])
    overlapped = compare([GoldDocument(Document("doc", TEXT), optional)], [Document("doc", TEXT, quotes=[grazing])])
    assert overlapped["quotes"]["overlap"]["fp"] == 0


def test_tasks_sharing_a_document_id_are_each_scored_against_their_own_prediction():
    other_text = "Ana Ruiz said the deal was a mistake."
    start = other_text.index("the deal")
    other_gold = Quote(start, len(other_text) - 1, other_text[start:-1], stance=Stance("against"))
    gold = [
        GoldDocument(Document("same", TEXT), [reference("We will buy the system,", "favor", [])], task_id=1),
        GoldDocument(Document("same", other_text), [Reference(other_gold, [], ["against"])], task_id=2),
    ]
    predicted = [
        Document("same", TEXT, quotes=[quote("We will buy the system,", "favor")]),
        Document("same", other_text, quotes=[other_gold]),
    ]
    report = compare(gold, predicted)
    assert report["quotes"]["exact"]["f1"] == report["stance"]["accuracy"] == 1.0


def test_compare_agrees_with_the_shared_scorer(tmp_path):
    gold = read_gold_json(GOLD, SEEDS)
    rng = random.Random(7)
    predicted = []
    for document in gold:
        quotes = []
        for ref in document.references:
            if rng.random() < 0.2:
                continue
            start = ref.quote.start + rng.randint(-12, 12)
            end = ref.quote.end + rng.choice([0, -40, 6])
            name = rng.choice([*ref.aliases, "Somebody Else"])
            quotes.append(
                Quote(
                    start,
                    end,
                    document.document.text[start:end],
                    speaker=Speaker(0, 1, "x", name),
                    stance=Stance(rng.choice(["favor", "against", "none"])),
                )
            )
        start = rng.randrange(len(document.document.text) - 60)
        quotes.append(Quote(start, start + 50, document.document.text[start : start + 50]))
        predicted.append(Document(document.document.id, document.document.text, quotes=quotes))
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text("".join(json.dumps(d.to_dict()) + "\n" for d in predicted), encoding="utf-8")
    expected = json.loads(
        subprocess.run(
            [sys.executable, str(SCORER), str(GOLD), str(SEEDS), str(predictions), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    report = compare(gold, predicted)
    overlap = report["quotes"]["overlap"]
    assert (overlap["tp"], overlap["fp"], overlap["fn"]) == (expected["matched"], expected["fp"], expected["fn"])
    assert round(overlap["f1"], 3) == expected["quote_F1"]
    assert round(report["speaker"]["accuracy"], 3) == expected["speaker_acc"]
    assert round(report["stance"]["accuracy"], 3) == expected["stance_acc"]
    assert round(report["end_to_end"]["f1"], 3) == expected["end_to_end_F1"]


def test_gold_json_converts_to_a_dataset_that_loads_back_the_same(tmp_path):
    gold = read_gold_json(GOLD, SEEDS)
    folder = tmp_path / "seeds-gold"
    write_gold_dataset(gold, folder)

    from datasets import load_dataset

    quotes = load_dataset(str(folder), "quotes")["train"]
    assert len(quotes) == sum(len(d.references) for d in gold)
    assert quotes.features["stance"].names == ["favor", "against", "none"]
    reloaded = first_annotation_per_task(load_gold(folder))
    assert [d.document.id for d in reloaded] == [d.document.id for d in gold]
    for before, after in zip(gold, reloaded):
        assert after.document.text == before.document.text
        assert [(r.quote.start, r.quote.end, r.stance, r.quote.type) for r in after.references] == [
            (r.quote.start, r.quote.end, r.stance, r.quote.type) for r in before.references
        ]
        for ref in after.references:
            assert after.document.text[ref.quote.start : ref.quote.end] == ref.quote.text
    # A perfect prediction scores 1 against the converted gold.
    perfect = [Document(d.document.id, d.document.text, quotes=[r.quote for r in d.references]) for d in gold]
    report = compare(reloaded, perfect)
    assert report["quotes"]["exact"]["f1"] == report["speaker"]["accuracy"] == report["stance"]["accuracy"] == 1.0


def split_gold(folder: Path) -> Path:
    """The seeds gold as a folder of two gold JSON files."""
    docs = json.loads(GOLD.read_text(encoding="utf-8"))["docs"]
    names = sorted(docs)
    folder.mkdir()
    for part, chosen in (("a.json", names[:2]), ("b.json", names[2:])):
        (folder / part).write_text(json.dumps({"docs": {name: docs[name] for name in chosen}}), encoding="utf-8")
    return folder


def test_a_folder_of_gold_files_reads_as_the_one_file(tmp_path):
    whole = read_gold_json(GOLD, SEEDS)
    parts = load_gold(split_gold(tmp_path / "gold"), SEEDS)
    assert [d.document.id for d in parts] == [d.document.id for d in whole]
    assert [d.task_id for d in parts] == list(range(1, len(whole) + 1))
    for before, after in zip(whole, parts):
        assert [(r.quote.start, r.quote.end, r.aliases, r.stances, r.optional) for r in after.references] == [
            (r.quote.start, r.quote.end, r.aliases, r.stances, r.optional) for r in before.references
        ]


def test_evaluate_command_scores_the_seeds_dev_set_in_one_command(tmp_path):
    plot = tmp_path / "eval.png"
    gold = split_gold(tmp_path / "gold")
    done = subprocess.run(
        [*ANNOTATE, "evaluate", "--dataset", str(gold), "--docs", str(SEEDS), "--json", "--plot", str(plot)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["documents"], report["gold_quotes"]) == (5, 46)
    overlap = report["quotes"]["overlap"]
    # Predictions that overlap an optional gold quote are neither matches nor false positives.
    assert overlap["tp"] + overlap["fp"] <= report["predicted_quotes"]
    assert sum(map(sum, report["stance"]["confusion"])) == report["speaker"]["matched"] == overlap["tp"]
    assert report["model_version"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_command_fails_in_one_line_without_the_articles(tmp_path):
    done = subprocess.run([*ANNOTATE, "evaluate", "--dataset", str(GOLD)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "--docs" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    missing = subprocess.run(
        [*ANNOTATE, "evaluate", "--dataset", str(tmp_path / "nowhere")], capture_output=True, text=True
    )
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def gold_file(tmp_path: Path, content) -> tuple[Path, Path]:
    """A gold JSON file with ``content`` (a string as is, anything else as JSON) and a folder with one article."""
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.txt").write_text(TEXT, encoding="utf-8")
    path = tmp_path / "gold.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path, docs


GOOD = {"quote": "We will buy the system,", "speaker": ["Ana Ruiz", "Ruiz"], "stance": "favor"}


@pytest.mark.parametrize(
    "entry, problem",
    [
        ({"quote": GOOD["quote"], "speaker": ["Ruiz"]}, "'stance'"),
        ({**GOOD, "stance": "pro"}, "'stance'"),
        ({**GOOD, "alt": ["none", "maybe"]}, "'alt'"),
        ({**GOOD, "alt": "none"}, "'alt'"),
        ({**GOOD, "type": "paraphrase"}, "'type'"),
        ({**GOOD, "speaker": [["Ana", "Ruiz"]]}, "'speaker'"),
        ({**GOOD, "speaker": 7}, "'speaker'"),
        ({**GOOD, "quote": "We will sell the system"}, "not in the article"),
        ({**GOOD, "quote": 3}, "'quote'"),
        ("We will buy the system", "not an object"),
    ],
)
def test_a_malformed_gold_entry_is_named_by_file_article_and_number(tmp_path, entry, problem):
    path, docs = gold_file(tmp_path, {"docs": {"a.txt": [GOOD, entry]}})
    with pytest.raises(UserError) as error:
        read_gold_json(path, docs)
    message = str(error.value)
    assert f"{path}: a.txt, entry 2:" in message and problem in message


def test_a_single_speaker_name_is_one_alias(tmp_path):
    path, docs = gold_file(tmp_path, {"docs": {"a.txt": [{**GOOD, "speaker": "Ana Ruiz"}]}})
    (document,) = read_gold_json(path, docs)
    assert document.references[0].aliases == ["Ana Ruiz"]
    assert document.references[0].quote.speaker.name == "Ana Ruiz"


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{not json", "not a gold file"),
        ({"quotes": []}, "not a gold file"),
        ({"docs": ["a.txt"]}, "not a gold file"),
        ({"docs": {"a.txt": {"quote": "x"}}}, "not a gold file"),
        ({"docs": {"b.txt": [GOOD]}}, "the article b.txt is not in"),
    ],
)
def test_a_malformed_gold_file_is_one_user_error(tmp_path, content, problem):
    path, docs = gold_file(tmp_path, content)
    with pytest.raises(UserError, match=problem) as error:
        read_gold_json(path, docs)
    assert len(str(error.value).splitlines()) == 1


def test_evaluate_command_rejects_bad_gold_and_a_folder_as_plot_in_one_line(tmp_path):
    path, docs = gold_file(tmp_path, {"docs": {"a.txt": [{**GOOD, "stance": "pro"}]}})
    done = subprocess.run(
        [*ANNOTATE, "evaluate", "--dataset", str(path), "--docs", str(docs)], capture_output=True, text=True
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "entry 1" in done.stderr
    # A folder given as --plot fails before the pre-labeller runs.
    done = subprocess.run(
        [*ANNOTATE, "evaluate", "--dataset", str(GOLD), "--docs", str(SEEDS), "--plot", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "folder" in done.stderr
