"""Inter-annotator agreement: span F1, Krippendorff's alpha on stance, speaker agreement; from the export's
``documents`` rows, a dataset folder and a real Label Studio project."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from annotate.agreement import agreement
from annotate.data import Document, Quote, Speaker, Stance
from annotate.dataset import export_rows, gold_from_documents, gold_tasks, write_dataset
from annotate.gold import GoldDocument, Reference
from annotate.labelstudio import quotes_to_result
from annotate.stance import load_target

ANNOTATE = [sys.executable, "-c", "from annotate.cli import run; run()"]

TEXT = (
    '"We will buy the system," said Ana Ruiz. "It is too costly," said Tom Berg. '
    '"Talks go on," Ruiz said. "We are ready," said Lee Park. "Nothing is decided," said Berg.'
)
FRAGMENTS = ["We will buy the system,", "It is too costly,", "Talks go on,", "We are ready,", "Nothing is decided,"]


def quote(fragment: str, stance: str, speaker: str) -> Quote:
    start = TEXT.index(fragment)
    mention = TEXT.index(speaker.split()[-1], start)
    return Quote(
        start,
        start + len(fragment),
        fragment,
        speaker=Speaker(mention, mention + len(speaker.split()[-1]), speaker.split()[-1], speaker),
        stance=Stance(stance),
    )


def annotation(task: int, annotation_id: int, annotator: str, quotes: list[Quote]) -> GoldDocument:
    return GoldDocument(
        Document(f"doc{task}", TEXT),
        [Reference(q, [], [q.stance.label]) for q in quotes],
        task,
        annotation_id,
        annotator,
    )


FIRST = [
    quote(FRAGMENTS[0], "favor", "Ana Ruiz"),
    quote(FRAGMENTS[1], "against", "Tom Berg"),
    quote(FRAGMENTS[2], "none", "Ana Ruiz"),
    quote(FRAGMENTS[3], "favor", "Lee Park"),
]
# The second annotator leaves out the first quote, adds the last, calls "We are ready" against, and writes
# "Ruiz" for Ana Ruiz (the same speaker) but Tom Berg for Lee Park's quote (a different one).
SECOND = [
    quote(FRAGMENTS[1], "against", "Tom Berg"),
    quote(FRAGMENTS[2], "none", "Ruiz"),
    quote(FRAGMENTS[3], "against", "Tom Berg"),
    quote(FRAGMENTS[4], "none", "Tom Berg"),
]


def test_identical_annotations_agree_perfectly():
    report = agreement([annotation(1, 1, "a", FIRST), annotation(1, 2, "b", FIRST)])
    assert report["quote_span_f1"] == report["stance_alpha"] == report["speaker_agreement"] == 1.0
    assert (report["matched_quotes"], report["unmatched_quotes"]) == (4, 0)


def test_disagreements_lower_each_figure_by_the_expected_amount():
    report = agreement([annotation(1, 1, "a", FIRST), annotation(1, 2, "b", SECOND)])
    # 3 quotes both marked, 1 marked only by each annotator: F1 = 2*3 / (2*3 + 2).
    assert (report["matched_quotes"], report["unmatched_quotes"]) == (3, 2)
    assert report["quote_span_f1"] == pytest.approx(6 / 8)
    # Stance pairs (against, against), (none, none), (favor, against): values n_against=3, n_none=2, n_favor=1
    # of n=6; observed disagreement 2/6; expected (36 - 9 - 4 - 1) / (6*5) = 22/30; alpha = 1 - (2/6)/(22/30).
    assert report["stance_alpha"] == pytest.approx(1 - (2 / 6) / (22 / 30))
    assert report["stance_agreement"] == pytest.approx(2 / 3)
    assert report["speaker_agreement"] == pytest.approx(2 / 3)


def test_tasks_with_one_annotation_are_left_out():
    report = agreement([annotation(1, 1, "a", FIRST), annotation(2, 2, "b", SECOND)])
    assert report["tasks_with_several_annotations"] == 0
    assert report["quote_span_f1"] is None and report["stance_alpha"] is None


def two_annotator_tasks() -> list[dict]:
    """Two tasks, each annotated by two people, in Label Studio's export shape."""
    tasks = gold_tasks([annotation(1, 1, "a", FIRST), annotation(2, 3, "a", FIRST)])
    for task, second_id in zip(tasks, (2, 4)):
        task["annotations"].append({"id": second_id, "completed_by": "b", "result": quotes_to_result(SECOND)})
    return tasks


def test_agreement_from_export_rows_reads_the_documents_config_shape():
    report = agreement(gold_from_documents(export_rows(two_annotator_tasks()).documents))
    assert report["tasks_with_several_annotations"] == report["annotation_pairs"] == 2
    assert report["annotators"] == ["a", "b"]
    assert report["quote_span_f1"] == pytest.approx(6 / 8)
    assert report["speaker_agreement"] == pytest.approx(2 / 3)
    # Two tasks with the same disagreements: twice the units, same proportions; alpha changes only through n.
    assert report["stance_alpha"] == pytest.approx(1 - (4 / 12) / ((144 - 36 - 16 - 4) / (12 * 11)))


def test_agreement_command_on_an_exported_dataset(tmp_path):
    folder = tmp_path / "two-annotators"
    write_dataset(two_annotator_tasks(), folder, name=folder.name, target=load_target(None))
    done = subprocess.run([*ANNOTATE, "agreement", "--dataset", str(folder), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["quote_span_f1"] == pytest.approx(6 / 8)
    table = subprocess.run([*ANNOTATE, "agreement", "--dataset", str(folder)], capture_output=True, text=True)
    assert "Krippendorff" in table.stdout
    neither = subprocess.run([*ANNOTATE, "agreement"], capture_output=True, text=True)
    assert neither.returncode == 1 and "--project or --dataset" in neither.stderr


@pytest.mark.studio
def test_agreement_command_reads_a_label_studio_project(studio):
    from annotate.labelstudio import connect, create_project, import_tasks

    client = connect(studio.url, studio.api_key)
    project = create_project(client, "agreement-test", model_version="none")
    tasks = [
        {"data": task["data"], "annotations": [{"result": a["result"]} for a in task["annotations"]]}
        for task in two_annotator_tasks()
    ]
    import_tasks(client, project.id, tasks)
    done = subprocess.run(
        [*ANNOTATE, "agreement", "--project", "agreement-test", "--url", studio.url, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "LABEL_STUDIO_API_KEY": studio.api_key},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tasks_with_several_annotations"] == 2
    assert report["quote_span_f1"] == pytest.approx(6 / 8)
    assert report["speaker_agreement"] == pytest.approx(2 / 3)
