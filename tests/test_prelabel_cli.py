"""`annotate prelabel` end to end through the real console script and the real default model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotate.data import QUOTE_TYPES, STANCE_LABELS
from annotate.documents import InputError, iter_documents
from annotate.extract import RULES

ARTICLE = (
    "Ministers back new rail link\n\n"
    "LONDON - The transport minister, Helen Marsh, said on Monday that the new line would open in 2030.\n\n"
    "\u201cThis is the biggest investment in a generation,\u201d Marsh told reporters. \u201cIt will change the north.\u201d\n\n"
    "Opposition leader Tom Reyes warned the costs were out of control.\n"
)


def annotate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "annotate"
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "b_article.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "a_empty.txt").write_text("", encoding="utf-8")
    (folder / "c_latin1.txt").write_bytes("Caf\xe9 owner Ana Ruiz said the rent was too high.\n".encode("latin-1"))
    (folder / "docs.jsonl").write_text(json.dumps({"id": "wire-1", "text": ARTICLE}) + "\n", encoding="utf-8")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    return folder


@pytest.fixture(scope="module")
def run(inputs: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    paths = ["b_article.txt", "a_empty.txt", "c_latin1.txt", "docs.jsonl", "photo.png", "binary.txt", "missing.txt"]
    result = annotate("prelabel", *paths, "--output", "out.jsonl", cwd=inputs)
    records = [json.loads(line) for line in (inputs / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    return result, records


def test_good_inputs_are_labelled_and_bad_ones_named_in_one_line_each(run) -> None:
    result, records = run
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert [r["id"] for r in records] == ["b_article.txt", "a_empty.txt", "c_latin1.txt", "wire-1"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4
    for name in ("photo.png", "binary.txt", "missing.txt"):
        assert sum(name in line for line in errors) == 1


def test_non_utf8_bytes_are_replaced_with_a_warning_naming_the_file(run) -> None:
    result, records = run
    assert "c_latin1.txt" in result.stderr and "UTF-8" in result.stderr
    latin = next(r for r in records if r["id"] == "c_latin1.txt")
    assert latin["text"].startswith("Caf\ufffd owner")


def test_empty_file_gives_a_record_without_quotes(run) -> None:
    _, records = run
    empty = next(r for r in records if r["id"] == "a_empty.txt")
    assert empty["text"] == "" and empty["quotes"] == []


def test_records_follow_the_schema_and_offsets_hold(run, inputs: Path) -> None:
    _, records = run
    article = next(r for r in records if r["id"] == "b_article.txt")
    assert article["text"] == ARTICLE
    assert article["source"].endswith("b_article.txt") and article["model_version"]
    quotes = article["quotes"]
    assert len(quotes) >= 3
    for quote in quotes:
        assert set(quote) == {"id", "start", "end", "text", "type", "cue", "speaker", "stance", "score", "rule"}
        assert quote["score"] == RULES[quote["rule"]].confidence  # every pre-tag names the rule behind it
        assert ARTICLE[quote["start"] : quote["end"]] == quote["text"]
        assert quote["type"] in QUOTE_TYPES
        assert quote["stance"]["label"] in STANCE_LABELS
        assert set(quote["stance"]["scores"]) == set(STANCE_LABELS)
        for span in (quote["cue"], quote["speaker"]):
            if span is not None:
                assert ARTICLE[span["start"] : span["end"]] == span["text"]
    direct = [q for q in quotes if q["type"] == "direct"]
    assert [q["text"] for q in direct] == [
        "This is the biggest investment in a generation,",
        "It will change the north.",
    ]
    assert {q["speaker"]["name"] for q in direct} == {"Helen Marsh"}


def test_label_studio_format_writes_tasks_with_predictions(inputs: Path) -> None:
    result = annotate("prelabel", "b_article.txt", "--output", "tasks.json", "--format", "label-studio", cwd=inputs)
    assert result.returncode == 0, result.stderr
    tasks = json.loads((inputs / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 1 and tasks[0]["data"]["text"] == ARTICLE
    labels = [r["value"]["labels"][0] for r in tasks[0]["predictions"][0]["result"] if r.get("from_name") == "label"]
    assert "Quote" in labels and "Speaker" in labels
    # the annotator sees each pre-tag's rule in the region's details
    rules = [
        r["meta"]["text"] for r in tasks[0]["predictions"][0]["result"] if r.get("value", {}).get("labels") == ["Quote"]
    ]
    assert rules and all(len(text) == 1 and text[0].removeprefix("rule: ") in RULES for text in rules)


def test_a_bad_target_file_is_one_line_and_writes_nothing(inputs: Path) -> None:
    (inputs / "bad.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    result = annotate("prelabel", "b_article.txt", "--output", "never.jsonl", "--target", "bad.yaml", cwd=inputs)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.strip()] == [result.stderr.strip()]
    assert not (inputs / "never.jsonl").exists()


def test_folders_are_read_in_sorted_order(inputs: Path) -> None:
    documents = [d for d in iter_documents([inputs]) if not isinstance(d, InputError)]
    names = [d.id for d in documents]
    assert names[:3] == ["a_empty.txt", "b_article.txt", "c_latin1.txt"]


def test_jsonl_records_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    # JSON strings may carry U+2028/U+2029 raw; they must not split a record.
    record = {"id": "sep", "text": "First line\u2028second line. \u201cWe will win,\u201d Marsh said."}
    (tmp_path / "docs.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\r\n", encoding="utf-8")
    documents = list(iter_documents([tmp_path / "docs.jsonl"]))
    assert [(d.id, d.text) for d in documents] == [("sep", record["text"])]


def test_an_unwritable_output_fails_before_any_work(inputs: Path, tmp_path: Path) -> None:
    result = annotate("prelabel", "b_article.txt", "--output", str(tmp_path), cwd=inputs)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path} is a folder; give a file name"


def test_the_output_gets_the_users_usual_file_mode(run, inputs: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    assert (inputs / "out.jsonl").stat().st_mode & 0o777 == 0o666 & ~umask


def test_rules_lists_every_extraction_rule(tmp_path: Path) -> None:
    result = annotate("rules", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {r["name"]: r["confidence"] for r in json.loads(result.stdout)}
    assert listed == {name: rule.confidence for name, rule in RULES.items()}


def test_a_mistyped_path_leaves_an_existing_output_untouched(inputs: Path, tmp_path: Path) -> None:
    earlier = tmp_path / "out.jsonl"
    earlier.write_text('{"id": "kept"}\n', encoding="utf-8")
    result = annotate("prelabel", "no-such-file.txt", "--output", str(earlier), cwd=inputs)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"error: no input could be read; {earlier} left as it was"
    assert earlier.read_text(encoding="utf-8") == '{"id": "kept"}\n'


def test_parquet_inputs_are_read_by_rows_with_their_ids_and_bad_rows_named(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["p-1", None, "p-3"], "text": [ARTICLE, "Ana Ruiz said rents rose.", None]})
    pq.write_table(table, tmp_path / "corpus.parquet", row_group_size=2)
    (tmp_path / "no_text.parquet").write_bytes(b"")
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "wrong.parquet")
    items = list(
        iter_documents([tmp_path / "corpus.parquet", tmp_path / "wrong.parquet", tmp_path / "no_text.parquet"])
    )
    documents = [item for item in items if not isinstance(item, InputError)]
    problems = [str(item) for item in items if isinstance(item, InputError)]
    assert [(d.id, d.text[:8]) for d in documents] == [("p-1", ARTICLE[:8]), ("corpus.parquet:2", "Ana Ruiz")]
    assert len(problems) == 3
    assert "corpus.parquet:row 3" in problems[0] and "text" in problems[0]
    assert "wrong.parquet" in problems[1] and 'no "text" column' in problems[1]
    assert "no_text.parquet" in problems[2] and "parquet" in problems[2]


def test_resume_skips_what_the_output_holds_and_repairs_a_cut_last_line(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"doc-{n}", "text": ARTICLE.replace("2030", str(2030 + n))}) for n in range(4)]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    first = annotate("prelabel", "docs.jsonl", "-o", "out.jsonl", "--resume", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    output = tmp_path / "out.jsonl"
    # A crash while writing the third record leaves half a line; the rerun drops it and writes that record whole.
    kept = output.read_text(encoding="utf-8")
    output.write_text(kept + '{"id": "doc-2", "text": "Ministers', encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = annotate("prelabel", "docs.jsonl", "-o", "out.jsonl", "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["doc-0", "doc-1", "doc-2", "doc-3"]
    assert output.read_text(encoding="utf-8").startswith(kept)  # what was there is untouched
    assert all(r["quotes"] for r in records)
    done = annotate("prelabel", "docs.jsonl", "-o", "out.jsonl", "--resume", cwd=tmp_path)
    assert done.returncode == 0 and "nothing new" in done.stderr
    not_ours = tmp_path / "notes.jsonl"
    not_ours.write_text("plain text, not records\n", encoding="utf-8")
    refused = annotate("prelabel", "docs.jsonl", "-o", "notes.jsonl", "--resume", cwd=tmp_path)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert not_ours.read_text(encoding="utf-8") == "plain text, not records\n"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_prelabel_leaves_the_old_output_and_no_temporary_file(tmp_path: Path, stop) -> None:
    records = [json.dumps({"id": f"d{n}", "text": ARTICLE.replace("2030", str(n))}) for n in range(20000)]
    (tmp_path / "many.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    (tmp_path / "out.jsonl").write_text("the earlier output\n", encoding="utf-8")
    script = Path(sys.executable).parent / "annotate"
    process = subprocess.Popen(
        [str(script), "prelabel", "many.jsonl", "-o", "out.jsonl"], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.jsonl.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(tmp_path.glob(".out.jsonl.*.tmp")), "the run never started writing"
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + stop
    assert "Traceback" not in stderr
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "the earlier output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.jsonl", "out.jsonl"]


def test_a_saved_datasets_folder_is_an_input(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    Dataset.from_dict({"id": ["h-1", "h-2"], "text": [ARTICLE, "Ana Ruiz said rents rose."]}).save_to_disk(
        tmp_path / "saved"
    )
    DatasetDict({"train": Dataset.from_dict({"text": ["x"]})}).save_to_disk(tmp_path / "splits")
    items = list(iter_documents([tmp_path / "saved", tmp_path / "splits"]))
    assert [(i.id, i.text) for i in items[:2]] == [("h-1", ARTICLE), ("h-2", "Ana Ruiz said rents rose.")]
    assert isinstance(items[2], InputError) and "splits" in str(items[2]) and "train" in str(items[2])
    assert len(items) == 3


def test_parquet_shards_hold_the_jsonl_records_typed(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from datasets import load_dataset

    from annotate.data import Document
    from annotate.records import ParquetShards, record_schema

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    done = annotate("prelabel", str(seeds), "-o", "out.jsonl", cwd=tmp_path)
    shards = annotate("prelabel", str(seeds), "-o", "shards", "--format", "parquet", cwd=tmp_path)
    assert done.returncode == shards.returncode == 0, done.stderr + shards.stderr
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [path.name for path in (tmp_path / "shards").iterdir()] == ["part-00000.parquet"]
    table = pq.read_table(tmp_path / "shards")
    assert table.schema == record_schema() and table.to_pylist() == records
    loaded = load_dataset("parquet", data_dir=str(tmp_path / "shards"), cache_dir=str(tmp_path / "cache"))["train"]
    assert loaded["id"] == [record["id"] for record in records]
    # A rerun replaces its own shards; a folder it did not write is refused before any work.
    assert annotate("prelabel", str(seeds), "-o", "shards", "--format", "parquet", cwd=tmp_path).returncode == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = annotate("prelabel", str(seeds), "-o", "mine", "--format", "parquet", cwd=tmp_path)
    assert refused.returncode == 1 and "is not a folder of pre-label shards" in refused.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"

    # A shard holds a bounded number of rows, so memory holds one at a time.
    folder = tmp_path / "small"
    folder.mkdir()
    writer = ParquetShards(folder, rows=2)
    for record in records:
        writer.add(Document.from_dict(record).to_dict())
    writer.flush()
    assert sorted(path.name for path in folder.iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert pq.read_table(folder).to_pylist() == records
