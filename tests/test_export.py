"""``annotate export`` against a real Label Studio: pre-labels imported, corrected through the API the way
annotators do, exported, and loaded back with ``datasets.load_dataset``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import free_port, proxy
from datasets import ClassLabel, load_dataset

from annotate import dataset, labelstudio
from annotate import studio as embedded
from annotate.data import Document, Quote, Speaker, Stance
from annotate.errors import UserError
from annotate.stance import load_target

PROJECT = "export-test"
MODEL_VERSION = "test-prelabeller-1"
ANNOTATOR = "second-annotator@example.org"
ANNOTATE = Path(sys.executable).parent / "annotate"

NEWS = (
    'Talks resumed in Ankara on Monday. "The deal is done and we will not step back," the foreign minister '
    "told reporters. The Pentagon said it was deeply concerned about the purchase. Officials met on Tuesday "
    'to discuss trade. Senator Smith warned that Turkey would face "very real" sanctions. '
    '"We are ready to deliver on time," the Russian company said.'
)
# Characters outside the Basic Multilingual Plane before the quotes: two UTF-16 code units each.
EMOJI_NEWS = (
    '🇹🇷🚀 Update 😀: "We will buy more systems," Erdogan said. 𝕏 users replied. 🙂 Ankara said talks would go on.'
)
SKIPPED_NEWS = 'Markets were calm. "Nothing changes for us," a spokesman said.'
UNTOUCHED_NEWS = "The ministry said a delegation would visit next month."


def prelabel(text: str, passage: str, mention: str | None, name: str, stance: str, type_: str = "direct") -> Quote:
    start = text.index(passage)
    speaker = None
    if mention is not None:
        at = text.index(mention)
        speaker = Speaker(at, at + len(mention), mention, name)
    return Quote(start, start + len(passage), passage, type=type_, speaker=speaker, stance=Stance(stance))


def prelabelled_documents() -> list[Document]:
    news = [
        prelabel(
            NEWS, "The deal is done and we will not step back,", "the foreign minister", "Mevlut Cavusoglu", "favor"
        ),
        prelabel(NEWS, "it was deeply concerned about the purchase", "The Pentagon", "Pentagon", "none", "indirect"),
        prelabel(NEWS, "Officials met on Tuesday to discuss trade", None, "", "none", "indirect"),
        prelabel(NEWS, "We are ready to deliver on time,", "the Russian company", "Rosoboronexport", "favor"),
    ]
    emoji = [prelabel(EMOJI_NEWS, "We will buy more systems,", "Erdogan", "Recep Tayyip Erdogan", "favor")]
    skipped = [prelabel(SKIPPED_NEWS, "Nothing changes for us,", "a spokesman", "spokesman", "none")]
    return [
        Document("news", NEWS, "news.txt", news, MODEL_VERSION),
        Document("emoji", EMOJI_NEWS, "emoji.txt", emoji, MODEL_VERSION),
        Document("skipped", SKIPPED_NEWS, "skipped.txt", skipped, MODEL_VERSION),
        Document("untouched", UNTOUCHED_NEWS, "untouched.txt", [], MODEL_VERSION),
    ]


def browser_region(text: str, region_id: str, passage: str, label: str, **attributes) -> list[dict]:
    """Result items the Label Studio editor submits for one span and its per-region fields.

    The editor converts browser (UTF-16) selections to code points before saving (charsToCodePoints in
    Label Studio's front end), so saved offsets are Python string offsets even after an emoji.
    """
    start = text.index(passage)
    position = {"start": start, "end": start + len(passage)}
    items = [
        {
            "id": region_id,
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {**position, "text": passage, "labels": [label]},
        }
    ]
    for name, value in attributes.items():
        kind, key = ("textarea", "text") if name == "speaker_name" else ("choices", "choices")
        items.append(
            {"id": region_id, "from_name": name, "to_name": "text", "type": kind, "value": {**position, key: [value]}}
        )
    return items


def said_by(quote_id: str, speaker_id: str) -> dict:
    return {"type": "relation", "from_id": quote_id, "to_id": speaker_id, "direction": "right", "labels": ["said_by"]}


def corrected_news(prediction: list[Quote]) -> list[Quote]:
    """What the first annotator makes of the news pre-labels: every kind of correction."""
    moved, restanced, false_quote, kept = prediction
    moved = Quote(
        moved.start,
        moved.end - 1,
        NEWS[moved.start : moved.end - 1],
        moved.type,
        speaker=moved.speaker,
        stance=moved.stance,
        id=moved.id,
    )
    senator = NEWS.index("Senator Smith")
    restanced = Quote(
        restanced.start, restanced.end, restanced.text, restanced.type,
        speaker=Speaker(senator, senator + len("Senator Smith"), "Senator Smith", "John Smith"),
        stance=Stance("against"), id=restanced.id,
    )  # fmt: skip
    missed = prelabel(
        NEWS, 'Turkey would face "very real" sanctions', "Senator Smith", "John Smith", "against", "mixed"
    )
    missed.id = "Zx81kPq3"
    return [moved, restanced, kept, missed]


@dataclass
class Scenario:
    tasks: dict[str, int]
    news_ids: dict[str, str]
    quote_regions: int


@pytest.fixture(scope="module")
def scenario(studio) -> Scenario:
    client = labelstudio.connect(studio.url, studio.api_key)
    project = client.projects.create(title=PROJECT, label_config=labelstudio.label_config())
    client.projects.import_tasks(
        id=project.id, request=[labelstudio.document_to_task(d) for d in prelabelled_documents()]
    )
    tasks = {task.data["doc_id"]: task.id for task in client.tasks.list(project=project.id)}
    prediction = {doc_id: client.predictions.list(task=task_id)[0] for doc_id, task_id in tasks.items()}
    second = client.users.create(username="second-annotator", email=ANNOTATOR, password="second-annotator-pw-1")

    news_prediction = labelstudio.result_to_quotes(NEWS, prediction["news"].result)
    first_result = labelstudio.quotes_to_result(corrected_news(news_prediction))
    # The second annotator accepts the pre-labels but deletes the false quote.
    false_id = news_prediction[2].id
    second_result = [
        item
        for item in prediction["news"].result
        if false_id not in (item.get("id"), item.get("from_id"), item.get("to_id"))
    ]
    # The emoji document, annotated in the browser: the pre-label accepted, a missed quote added.
    emoji_result = [
        *prediction["emoji"].result,
        *browser_region(EMOJI_NEWS, "Em0jiQ1x", "talks would go on", "Quote", stance="none", type="indirect"),
        *browser_region(EMOJI_NEWS, "Em0jiS1x", "Ankara", "Speaker", speaker_name="Turkish government"),
        said_by("Em0jiQ1x", "Em0jiS1x"),
    ]
    annotations = [
        ("news", first_result, {}),
        ("news", second_result, {"completed_by": second.id}),
        ("emoji", emoji_result, {}),
        ("skipped", [], {"was_cancelled": True}),
    ]
    for doc_id, result, extra in annotations:
        client.annotations.create(
            id=tasks[doc_id], result=result, parent_prediction=prediction[doc_id].id, lead_time=12.5, **extra
        )
    quote_regions = sum(
        1
        for task_id in tasks.values()
        for annotation in client.annotations.list(id=task_id)
        if not annotation.was_cancelled
        for item in annotation.result
        if item.get("from_name") == "label" and item["value"]["labels"] == ["Quote"]
    )
    news_ids = {
        "moved": news_prediction[0].id,
        "restanced": news_prediction[1].id,
        "false": false_id,
        "kept": news_prediction[3].id,
    }
    return Scenario(tasks, news_ids, quote_regions)


def annotate_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ANNOTATE), *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def export(studio, scenario, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("exports") / PROJECT
    done = annotate_cli(
        "export", "--project", PROJECT, "--output", str(output), "--api-key", studio.api_key,
        "--data-dir", str(studio.data_dir),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 task(s) without annotation, 1 cancelled annotation(s)" in done.stdout
    assert f"{scenario.quote_regions} quotes in 3 annotations of 2 tasks" in done.stdout
    # the embedded server's project is read from its database: Label Studio keeps no export snapshot of it
    project = labelstudio.get_project(labelstudio.connect(studio.url, studio.api_key), PROJECT)
    assert no_snapshots(studio.data_dir, project.id)
    return output


def no_snapshots(data_dir: Path, project_id: int) -> bool:
    snapshots = data_dir / "media" / "export" / str(project_id)
    return not snapshots.exists() or not list(snapshots.iterdir())


@pytest.mark.studio
def test_the_database_read_is_the_export_apis_records(studio, scenario):
    """What the embedded server's database gives is what Label Studio's full JSON export gives (two annotators,
    a cancelled annotation, browser regions), but for a prediction's age in words."""
    client = labelstudio.connect(studio.url, studio.api_key)
    project = labelstudio.get_project(client, PROJECT)
    api = labelstudio.export_tasks(client, project.id, snapshot_dir=studio.data_dir / "media" / "export")
    for task in api:
        for prediction in task["predictions"]:
            assert prediction.pop("created_ago")
    read = list(embedded.read_project(studio.data_dir, studio.url, project.id))
    assert read == sorted(api, key=lambda task: task["id"])
    assert {annotation["completed_by"]["email"] for task in read for annotation in task["annotations"]} >= {ANNOTATOR}
    assert embedded.read_project(studio.data_dir, "http://127.0.0.1:1", project.id) is None  # not this server


@pytest.fixture(scope="module")
def quotes(export, tmp_path_factory):
    return load_dataset(str(export), "quotes", cache_dir=str(tmp_path_factory.mktemp("hf-cache")))["train"]


@pytest.fixture(scope="module")
def documents(export, tmp_path_factory):
    return load_dataset(str(export), "documents", cache_dir=str(tmp_path_factory.mktemp("hf-cache")))["train"]


def named(dataset, row: dict, column: str) -> str | None:
    value = row[column]
    return None if value is None else dataset.features[column].int2str(value)


@pytest.mark.studio
def test_no_annotation_is_lost_and_none_is_invented(studio, scenario, quotes, documents):
    assert len(quotes) == scenario.quote_regions
    # One document row per submitted annotation; the skipped and the untouched tasks give none.
    assert sorted(documents["doc_id"]) == ["emoji", "news", "news"]
    assert sum(len(row["quotes"]) for row in documents) == len(quotes)
    assert set(documents["annotator"]) == {studio.username, ANNOTATOR}


@pytest.mark.studio
def test_offsets_match_the_text_for_every_row(quotes, documents):
    texts = {(row["task_id"], row["annotation_id"]): row["text"] for row in documents}
    for row in quotes:
        text = texts[row["task_id"], row["annotation_id"]]
        assert text[row["quote_start"] : row["quote_end"]] == row["quote_text"]
        if row["speaker_text"] is not None:
            assert text[row["speaker_start"] : row["speaker_end"]] == row["speaker_text"]


@pytest.mark.studio
def test_emoji_before_a_quote_keeps_offsets_right(quotes):
    rows = {row["quote_text"]: row for row in quotes if row["doc_id"] == "emoji"}
    assert set(rows) == {"We will buy more systems,", "talks would go on"}
    accepted, added = rows["We will buy more systems,"], rows["talks would go on"]
    assert (accepted["quote_start"], accepted["speaker_text"]) == (EMOJI_NEWS.index("We will"), "Erdogan")
    assert accepted["prelabel_status"] == "kept"
    assert (added["speaker_start"], added["speaker_name"], added["prelabel_status"]) == (
        EMOJI_NEWS.index("Ankara"),
        "Turkish government",
        "added",
    )


@pytest.mark.studio
def test_every_correction_is_in_the_dataset(scenario, quotes):
    first = {row["quote_id"]: row for row in quotes if row["doc_id"] == "news" and row["annotator"] != ANNOTATOR}
    ids = scenario.news_ids
    assert set(first) == {ids["moved"], ids["restanced"], ids["kept"], "Zx81kPq3"}

    moved = first[ids["moved"]]
    assert moved["quote_text"] == "The deal is done and we will not step back"
    assert (moved["prelabel_status"], moved["stance_changed"], moved["speaker_changed"]) == ("edited", False, False)

    restanced = first[ids["restanced"]]
    assert (named(quotes, restanced, "stance"), named(quotes, restanced, "prelabel_stance")) == ("against", "none")
    assert (restanced["speaker_text"], restanced["speaker_name"], restanced["prelabel_speaker_name"]) == (
        "Senator Smith",
        "John Smith",
        "Pentagon",
    )
    assert (restanced["prelabel_status"], restanced["stance_changed"], restanced["speaker_changed"]) == (
        "edited",
        True,
        True,
    )

    kept = first[ids["kept"]]
    assert (kept["prelabel_status"], kept["speaker_name"], kept["model_version"]) == (
        "kept",
        "Rosoboronexport",
        MODEL_VERSION,
    )

    added = first["Zx81kPq3"]
    assert added["quote_text"] == 'Turkey would face "very real" sanctions'
    assert (named(quotes, added, "type"), named(quotes, added, "stance"), added["speaker_name"]) == (
        "mixed",
        "against",
        "John Smith",
    )
    assert (added["prelabel_status"], added["prelabel_stance"], added["prelabel_speaker_name"]) == ("added", None, None)

    second = [row for row in quotes if row["annotator"] == ANNOTATOR]
    assert sorted(row["quote_id"] for row in second) == sorted([ids["moved"], ids["restanced"], ids["kept"]])
    assert {row["prelabel_status"] for row in second} == {"kept"}


@pytest.mark.studio
def test_features_are_typed(quotes, documents):
    for column, names in (
        ("type", ["direct", "indirect", "mixed"]),
        ("stance", ["favor", "against", "none"]),
        ("prelabel_stance", ["favor", "against", "none"]),
    ):
        assert isinstance(quotes.features[column], ClassLabel) and quotes.features[column].names == names
    nested = documents.features["quotes"].feature
    assert isinstance(nested["stance"], ClassLabel) and isinstance(nested["type"], ClassLabel)


@pytest.mark.studio
def test_card_counts_and_raw_export(export, scenario):
    card = (export / "README.md").read_text(encoding="utf-8")
    for line in (
        "| tasks in the project | 4 |",
        "| tasks without annotation (not exported) | 1 |",
        "| cancelled (skipped) annotations (not exported) | 1 |",
        f"| quotes (`quotes` rows) | {scenario.quote_regions} |",
        # First annotator: 1 kept, 2 edited, 1 deleted, 1 added; second: 3 kept, 1 deleted; emoji: 1 kept, 1 added.
        "| kept | 5 |",
        "| edited | 2 |",
        "| deleted | 2 |",
        "| added | 2 |",
        "| against | 2 |",
        "| mixed | 1 |",
    ):
        assert line in card
    assert MODEL_VERSION in card and "S-400" in card
    # Agreement: only the news task has two annotations; they disagree on the added quote and on one stance.
    assert "| tasks with several annotations | 1 |" in card
    assert "| annotation pairs compared | 1 |" in card
    span_f1 = re.search(r"\| quote span F1 between annotators \| ([0-9.]+) \|", card)
    assert span_f1 and 0.5 < float(span_f1.group(1)) < 1.0
    stance_share = re.search(r"\| stance: share of identical labels \| ([0-9.]+) \|", card)
    assert stance_share and float(stance_share.group(1)) < 1.0
    raw = json.loads((export / "raw" / "label_studio_export.json").read_text(encoding="utf-8"))
    assert sorted(task["id"] for task in raw) == sorted(scenario.tasks.values())
    assert not [p for p in export.parent.iterdir() if p.name.startswith(".")], "temporary folders left behind"


@pytest.mark.studio
@pytest.mark.parametrize("problem", ["wrong token", "nothing listening", "unknown project", "fails mid-download"])
def test_user_errors_are_one_line_and_write_nothing(studio, scenario, export, tmp_path, problem):
    url, api_key, project, output = studio.url, studio.api_key, PROJECT, tmp_path / "new"
    server = contextlib.nullcontext(url)
    if problem in ("wrong token", "fails mid-download"):
        # Over an earlier export of the same name, which must survive the failed one untouched.
        output = export
        if problem == "wrong token":
            api_key = "0" * 40
        else:  # the server stops answering once the export is made, as it is downloaded
            server = proxy(url, "GET", r"/api/projects/\d+/exports/\d+/download", 502, forward=False)
    elif problem == "nothing listening":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}"
            server = contextlib.nullcontext(url)
    else:
        project = "no-such-project"
    before = {path: path.stat().st_mtime_ns for path in export.rglob("*")}
    with server as url:
        done = annotate_cli("export", "--project", project, "--output", str(output), "--url", url, "--api-key", api_key)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error:")
    assert studio.api_key not in done.stderr + done.stdout
    assert not (tmp_path / "new").exists()
    assert {path: path.stat().st_mtime_ns for path in export.rglob("*")} == before
    assert [path.name for path in export.parent.iterdir()] == [export.name]  # no temporary folder left


@pytest.mark.studio
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_export_leaves_the_earlier_one_and_nothing_temporary(studio, export, tmp_path, stop):
    """Stopped while it writes a large project, export leaves the earlier folder as it was."""
    client = labelstudio.connect(studio.url, studio.api_key)
    title = f"large-export-{stop.name.lower()}"
    project = client.projects.create(title=title, label_config=labelstudio.label_config())
    document = prelabelled_documents()[0]
    annotated = {"result": labelstudio.quotes_to_result(document.quotes), "completed_by": 1}
    tasks = [{"data": {"text": f"{n}. {document.text}"}, "annotations": [annotated]} for n in range(3000)]
    for chunk in range(0, len(tasks), 1000):
        client.projects.import_tasks(id=project.id, request=tasks[chunk : chunk + 1000])
    output = tmp_path / "exports" / title
    shutil.copytree(export, output)
    before = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}
    command = [str(ANNOTATE), "export", "--project", title, "-o", str(output), "--api-key", studio.api_key]
    running = subprocess.Popen([*command, "--data-dir", str(studio.data_dir)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(output.parent.glob(f".{title}.*.tmp")) and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(output.parent.glob(f".{title}.*.tmp")), "the export never started writing"
    running.send_signal(stop)
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 128 + stop and "Traceback" not in stderr, stderr
    assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == before
    assert [path.name for path in output.parent.iterdir()] == [title]
    assert no_snapshots(studio.data_dir, project.id)  # nor Label Studio's copy


def offline_task(prediction: list[Quote], annotation: list[Quote]) -> dict:
    """A task as Label Studio's full export gives it, built from quotes (no server needed)."""
    return {
        "id": 7,
        "data": {"text": NEWS, "doc_id": "news"},
        "predictions": [{"id": 1, "model_version": MODEL_VERSION, "result": labelstudio.quotes_to_result(prediction)}],
        "annotations": [
            {
                "id": 9,
                "completed_by": 1,
                "was_cancelled": False,
                "parent_prediction": 1,
                "result": labelstudio.quotes_to_result(annotation),
            }
        ],
    }


def test_redrawn_quotes_match_their_prelabel_by_overlap():
    prediction = prelabelled_documents()[0].quotes[:2]
    for number, quote in enumerate(prediction, start=1):
        quote.id = f"q{number}"
    # Both pre-labels deleted and drawn again (new region ids): one over most of its span, one over a sliver.
    most, sliver = (Quote(q.start, q.end, q.text, q.type, speaker=q.speaker, stance=q.stance) for q in prediction)
    most.start, most.id = most.start + 4, "new1"
    sliver.end, sliver.id = sliver.start + 5, "new2"
    rows = dataset.export_rows([offline_task(prediction, [most, sliver])])
    status = {row["quote_id"]: row["prelabel_status"] for row in rows.quotes}
    assert status == {"new1": "edited", "new2": "added"}
    assert (rows.summary.review["deleted"], rows.summary.annotators) == (1, {"1"})


def test_a_failed_write_leaves_the_earlier_export_untouched(tmp_path):
    quotes = prelabelled_documents()[0].quotes
    tasks = [offline_task(quotes, quotes)]
    output = tmp_path / "exports" / "news"
    dataset.write_dataset(tasks, output, name="news", target=load_target())
    before = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}
    with pytest.raises(AttributeError):
        dataset.write_dataset(tasks + tasks, output, name="news", target=None)  # fails while writing the card
    assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == before
    assert [path.name for path in output.parent.iterdir()] == ["news"]
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(UserError):
        dataset.write_dataset(tasks, tmp_path / "elsewhere", name="news", target=load_target())


def test_a_new_export_under_an_earlier_ones_name_is_read_as_it_is_now(tmp_path):
    """As the backend's retrainings each write and read a new folder named project-ID."""
    for label in ("favor", "against"):
        with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
            quotes = prelabelled_documents()[0].quotes[:2]
            for quote in quotes:
                quote.stance = Stance(label)
            folder = Path(scratch) / "project-1"
            dataset.write_dataset([offline_task(quotes, quotes)], folder, name="project-1", target=load_target())
            rows = dataset.load_export(folder, "quotes")
            assert [rows.features["stance"].int2str(value) for value in rows["stance"]] == [label, label]


@pytest.mark.studio
def test_an_export_whose_server_is_killed_part_way_leaves_the_earlier_one_and_a_rerun_finishes(tmp_path):
    data_dir, port = tmp_path / "ls", free_port()
    server = embedded.start(data_dir, port=port)
    try:
        client = labelstudio.connect(server.url, server.api_key)
        project = client.projects.create(title="killed-export", label_config=labelstudio.label_config())
        document = prelabelled_documents()[0]
        annotated = {"result": labelstudio.quotes_to_result(document.quotes), "completed_by": 1}
        tasks = [{"data": {"text": f"{n}. {document.text}"}, "annotations": [annotated]} for n in range(4)]
        client.projects.import_tasks(id=project.id, request=tasks[:2])
        output = tmp_path / "exports" / "killed-export"
        command = ["export", "--project", "killed-export", "-o", str(output), "--api-key", server.api_key]
        assert annotate_cli(*command, "--url", server.url).returncode == 0
        before = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}
        client.projects.import_tasks(id=project.id, request=tasks[2:])

        # Label Studio has made the export and is killed as it is downloaded.
        def kill() -> None:
            os.killpg(server.pid, signal.SIGKILL)

        download = r"/api/projects/\d+/exports/\d+/download"
        with proxy(server.url, "GET", download, 502, forward=False, on_catch=kill) as url:
            failed = annotate_cli(*command, "--url", url)
        assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
        assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == before
        assert [path.name for path in output.parent.iterdir()] == [output.name]

        server = embedded.start(data_dir, port=port)
        rerun = annotate_cli(*command, "--url", server.url)
        assert rerun.returncode == 0, rerun.stderr
        assert "4 tasks" in rerun.stdout and [path.name for path in output.parent.iterdir()] == [output.name]
    finally:
        embedded.stop(data_dir)
