"""Bad and odd input through the real console script: every case ends in the right output, or in one line naming
what is wrong and a non-zero exit, with nothing half-written and an earlier output untouched.

Most prelabel cases share one run over many inputs (the model loads once); the cases that must fail before any
work get a call each. Cases already covered in test_prelabel_cli.py (an empty file, NUL bytes at the start, Latin-1,
U+2028 inside JSON lines, a missing path, a malformed YAML target, an output that is a folder) are not repeated."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotate.data import Document, Quote, Speaker, Stance
from annotate.dataset import write_gold_dataset
from annotate.gold import GoldDocument, Reference

ARTICLE = (
    "Ministers back new rail link\n\n"
    "LONDON - The transport minister, Helen Marsh, said on Monday that the new line would open in 2030.\n\n"
    "\u201cThis is the biggest investment in a generation,\u201d Marsh told reporters. \u201cIt will change the north.\u201d\n\n"
    "Opposition leader Tom Reyes warned the costs were out of control.\n"
)
PROSE = "The council met on Tuesday to discuss the budget, and officials gave figures on imports. "
TEN_MB = PROSE * (10 * 2**20 // len(PROSE)) + "\u201cWe will win the vote,\u201d Marsh said.\n"
NESTED = "Ana Ruiz said: " + "\u201c\u2018" * 300 + "we stay" + "\u2019\u201d" * 300 + ".\n"
EMOJI = "\U0001f389\U0001f1f9\U0001f1f7 Ana Ruiz said: \u201cWe will win the vote.\u201d \U0001f44d \u201cIt is done,\u201d she added.\n"
TINY_FILES = 10_000


def annotate(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "annotate"
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def one_line(result: subprocess.CompletedProcess) -> str:
    """The only line a refused command printed."""
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


# name -> bytes of a file given directly to one shared prelabel run
TEXT_FILES = {
    "whitespace.txt": b" \n\t \r\n  ",
    "utf16le.txt": codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"),
    "utf16be.txt": codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"),
    "crlf.txt": ARTICLE.replace("\n", "\r\n").encode(),
    "separators.txt": ARTICLE.replace("\n\n", "\u2029").replace("\n", "\u2028").encode(),
    "marks.txt": ("\u201c" * 25_000 + '"' * 25_000).encode(),
    "nested.txt": NESTED.encode(),
    "emoji.txt": EMOJI.encode(),
    "big.txt": TEN_MB.encode(),
    "nul_late.txt": (ARTICLE * 40 + "\x00 and more").encode(),
    "records.jsonl": jsonl(
        {"id": "r1", "text": ARTICLE},
        "not json at all",
        {"id": "r3"},
        {"id": "r4", "text": 42},
        ["a list"],
        "[" * 100_000,
        "",
        {"id": "r1", "text": "Ana Ruiz said rents rose."},
        '{"id": "nul", "text": "a\\u0000b"}',
        '{"id": "lone", "text": "Half a pair \\ud800 here. \\u201cWe will win,\\u201d Marsh said."}',
    ).encode(),
    "wire.jsonl": jsonl({"id": "r1", "text": "Officials gave figures."}).encode(),
}
# name -> (expected substring of the one error line naming it)
REFUSED = {
    "nul_late.txt": "holds NUL characters",
    "records.jsonl:2": "invalid JSON",
    "records.jsonl:3": 'expected a "text" string',
    "records.jsonl:4": 'expected a "text" string',
    "records.jsonl:5": 'expected an object with a "text" string',
    "records.jsonl:6": "nested too deeply",
    "records.jsonl:9": "holds NUL characters",
    "fifo.txt": "not a regular file (a FIFO)",
    "endless.txt": "not a regular file (a device)",
    "mem.txt": "cannot read (Input/output error)",
    "huge.txt": "larger than 64 MiB: not an article",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    for name, data in TEXT_FILES.items():
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "fifo.txt")
    (folder / "endless.txt").symlink_to("/dev/zero")
    # A regular file that fails to read, for root too (chmod does not stop root): at offset 0 it is EIO.
    (folder / "mem.txt").symlink_to("/proc/self/mem")
    with open(folder / "huge.txt", "wb") as huge:
        huge.truncate(65 * 2**20)  # sparse: no disk is used
    with_fifo = folder / "with_fifo"
    with_fifo.mkdir()
    os.mkfifo(with_fifo / "waiting.txt")
    (with_fifo / "note.txt").write_text("Officials gave figures on imports.", encoding="utf-8")
    tiny = folder / "tiny"
    tiny.mkdir()
    for number in range(TINY_FILES):
        (tiny / f"{number:05}.txt").write_text(f"Note {number}.", encoding="utf-8")
    (folder / "real").mkdir()
    (folder / "link.jsonl").symlink_to(folder / "real" / "out.jsonl")
    return folder


@pytest.fixture(scope="module")
def run(corpus: Path) -> tuple[subprocess.CompletedProcess, dict[str, dict]]:
    inputs = [*TEXT_FILES, "fifo.txt", "endless.txt", "mem.txt", "huge.txt", "with_fifo", "tiny"]
    result = annotate("prelabel", *inputs, "--output", "link.jsonl", cwd=corpus)
    lines = (corpus / "real" / "out.jsonl").read_text(encoding="utf-8").removesuffix("\n").split("\n")
    return result, {record["id"]: record for record in map(json.loads, lines)}


def assert_offsets_exact(record: dict) -> None:
    for quote in record["quotes"]:
        assert record["text"][quote["start"] : quote["end"]] == quote["text"]
        for span in (quote["cue"], quote["speaker"]):
            if span is not None:
                assert record["text"][span["start"] : span["end"]] == span["text"]


def test_the_shared_run_ends_with_exit_1_and_no_traceback(run) -> None:
    result, records = run
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert errors(result)[-1] == f"error: {len(REFUSED)} input(s) could not be read"


@pytest.mark.parametrize("where", REFUSED)
def test_a_bad_input_is_named_in_one_error_line(run, where: str) -> None:
    result, _ = run
    named = [line for line in errors(result) if line.removeprefix("error: ").split(": ", 1)[0] == where]
    assert len(named) == 1, result.stderr
    assert REFUSED[where] in named[0]


@pytest.mark.parametrize(
    ("doc_id", "text"),
    [
        ("whitespace.txt", " \n\t \r\n  "),
        ("utf16le.txt", ARTICLE),
        ("utf16be.txt", ARTICLE),
        ("crlf.txt", ARTICLE.replace("\n", "\r\n")),
        ("separators.txt", ARTICLE.replace("\n\n", "\u2029").replace("\n", "\u2028")),
        ("marks.txt", "\u201c" * 25_000 + '"' * 25_000),
        ("nested.txt", NESTED),
        ("emoji.txt", EMOJI),
        ("big.txt", TEN_MB),
        ("r1", ARTICLE),
    ],
)
def test_a_good_input_is_written_whole_with_exact_offsets(run, doc_id: str, text: str) -> None:
    _, records = run
    record = records[doc_id]
    assert record["text"] == text
    assert_offsets_exact(record)
    if "Marsh" in text or "Ruiz" in text:
        assert record["quotes"], "the quotes of the text are found"


def test_a_lone_surrogate_is_replaced_with_a_warning_naming_the_line(run) -> None:
    result, records = run
    assert "records.jsonl:10" in result.stderr and "U+FFFD" in result.stderr
    assert records["lone"]["text"].startswith("Half a pair \ufffd here.")
    assert_offsets_exact(records["lone"])


def test_repeated_ids_get_a_suffix_with_a_warning(run) -> None:
    result, records = run
    assert records["r1#2"]["text"] == "Ana Ruiz said rents rose."
    assert records["r1#3"]["text"] == "Officials gave figures."  # the same id in another input
    assert result.stderr.count("already taken") == 2


def test_a_fifo_inside_a_folder_is_skipped_and_a_folder_of_many_files_is_read(run) -> None:
    _, records = run
    assert "note.txt" in records and "waiting.txt" not in records
    assert all(f"{number:05}.txt" in records for number in range(TINY_FILES))


def test_an_output_that_is_a_link_writes_the_file_it_links_to(run, corpus: Path) -> None:
    assert (corpus / "link.jsonl").is_symlink()
    assert not list((corpus / "real").glob(".*")) and not list(corpus.glob(".link*"))


@pytest.fixture
def article(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "b.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "folder" / "out.jsonl").write_text("the earlier output\n", encoding="utf-8")
    os.link(tmp_path / "a.txt", tmp_path / "hard.txt")
    os.mkfifo(tmp_path / "pipe")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.txt", "-o", "a.txt"], "error: --output a.txt is the input a.txt; write the pre-labels to another file"),
        (["a.txt", "-o", "hard.txt"], "error: --output hard.txt is the input a.txt"),
        (["folder", "-o", "folder/out.jsonl"], "is in the input folder folder, which reads it as an input"),
        (["a.txt", "-o", "pipe"], "error: pipe is not a regular file; give a file name"),
    ],
    ids=["same-path", "hard-link", "in-input-folder", "fifo-output"],
)
def test_an_output_that_is_an_input_or_not_a_file_is_refused_before_any_work(article: Path, args, message) -> None:
    result = annotate("prelabel", *args, cwd=article)
    assert message in one_line(result)
    assert (article / "a.txt").read_text(encoding="utf-8") == ARTICLE
    assert (article / "folder" / "out.jsonl").read_text(encoding="utf-8") == "the earlier output\n"


def private_tmpfs(options: str) -> list[str]:
    """A command prefix that mounts a tmpfs with ``options`` on the folder "$1" in a mount namespace of its own
    (gone when the command ends), or a skip where this user may not mount."""
    probe = shutil.which("unshare") and subprocess.run(["unshare", "--mount", "mount", "-t", "tmpfs", "tmpfs", "/mnt"])
    if not probe or probe.returncode != 0:
        pytest.skip("cannot mount a private tmpfs here (needs root with CAP_SYS_ADMIN)")
    return ["unshare", "--mount", "sh", "-c", f'mount -t tmpfs -o {options} tmpfs "$1" && shift && exec "$@"', "sh"]


@pytest.mark.parametrize("how", ["mode 555", "read-only mount"])
def test_a_read_only_output_folder_fails_before_any_work(article: Path, how: str) -> None:
    folder = article / "locked"
    folder.mkdir()
    script = str(Path(sys.executable).parent / "annotate")
    command = ["prelabel", "a.txt", "-o", "locked/out.jsonl"]
    if how == "mode 555":
        if os.geteuid() == 0:
            pytest.skip("root writes into a folder whatever its mode; the read-only mount case covers root")
        folder.chmod(0o555)
        result = subprocess.run([script, *command], cwd=article, capture_output=True, text=True)
        reason = "Permission denied"
    else:
        result = subprocess.run([*private_tmpfs("ro"), str(folder), script, *command], cwd=article, capture_output=True, text=True)  # fmt: skip
        reason = "Read-only file system"
    assert one_line(result) == f"error: cannot write locked/out.jsonl: {folder} takes no new file ({reason})"


def test_a_full_disk_names_the_file_and_leaves_the_earlier_output(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text(ARTICLE * 400, encoding="utf-8")  # its pre-labels need far more than 64 KiB
    disk = tmp_path / "disk"
    disk.mkdir()
    script = str(Path(sys.executable).parent / "annotate")
    check = f'echo earlier > {disk}/out.jsonl && {script} prelabel long.txt -o {disk}/out.jsonl; echo "$?"; ls -A {disk}; cat {disk}/out.jsonl'  # fmt: skip
    result = subprocess.run([*private_tmpfs("size=64k"), str(disk), "sh", "-c", check], cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert result.stderr.strip() == f"error: cannot write {disk}/out.jsonl: No space left on device"
    assert result.stdout.split() == ["1", "out.jsonl", "earlier"]  # exit code 1, no temporary file, the old output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--stance-model", "no-such-model", "stance model no-such-model not found locally"),
        ("--stance-model", "junk", "no readable config.json in junk"),
        ("--stance-model", "nobody/not-a-cached-model", "stance model nobody/not-a-cached-model not found locally"),
        ("--target", "huge.yaml", "target file huge.yaml: larger than 5 MB"),
        ("--target", "list.yaml", "target file list.yaml: expected a mapping"),
        ("--target", "target.json", "target file target.json: expected a .yaml, .yml or .toml file"),
        ("--target", "pipe.yaml", "target file pipe.yaml: not a regular file"),
        ("--target", "endless.yaml", "target file endless.yaml: not a regular file"),
    ],
)
def test_a_bad_model_or_target_fails_fast_in_one_line(article: Path, option: str, value: str, message: str) -> None:
    (article / "junk").mkdir()
    (article / "junk" / "weights.bin").write_bytes(b"\x00" * 16)
    (article / "huge.yaml").write_text("name: x\n" + "# padding\n" * 600_000, encoding="utf-8")
    (article / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (article / "target.json").write_text("{}", encoding="utf-8")
    if not (article / "pipe.yaml").exists():  # a FIFO would wait for a writer, /dev/zero never end
        os.mkfifo(article / "pipe.yaml")
        (article / "endless.yaml").symlink_to("/dev/zero")
    # A hub id that is not cached is not looked for online: a download attempt would stall on this address.
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["HF_ENDPOINT"] = "http://10.255.255.1"
    started = time.monotonic()
    result = annotate("prelabel", "a.txt", "-o", "out.jsonl", option, value, cwd=article, env=env)
    assert message in one_line(result)
    assert time.monotonic() - started < 60
    assert not (article / "out.jsonl").exists()


def gold(labels: list[str]) -> list[GoldDocument]:
    """One article per quote, each quote attributed and labelled."""
    documents = []
    for number, label in enumerate(labels):
        content = f"The quota plan number {number} is {label} for us"
        text = f'Mara Oltan said: "{content}."'
        start = text.index(content)
        quote = Quote(start, start + len(content), content, speaker=Speaker(0, 10, "Mara Oltan", "Mara Oltan"))
        quote.stance = Stance(label)
        references = [Reference(quote, ["Mara Oltan"], [label])]
        documents.append(GoldDocument(Document(f"d{number}", text), references, task_id=number + 1, annotation_id=number + 1))  # fmt: skip
    return documents


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    folder = tmp_path_factory.mktemp("datasets")
    write_gold_dataset(gold(["favor"]), folder / "one_quote")
    write_gold_dataset(gold(["favor"] * 8), folder / "one_label")
    for name in ("corrupted", "truncated", "no_stance"):
        write_gold_dataset(gold(["favor", "against", "none"] * 5), folder / name)
    parquet = folder / "corrupted" / "documents" / "train.parquet"
    parquet.write_bytes(b"not a parquet file " * 50)
    parquet = folder / "truncated" / "documents" / "train.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-100])
    parquet = folder / "no_stance" / "documents" / "train.parquet"
    rows = pq.read_table(parquet).to_pylist()
    for row in rows:
        for quote in row["quotes"]:
            del quote["stance"], quote["prelabel_stance"]
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    Dataset.from_dict({"text": ["x"]}).save_to_disk(folder / "saved")
    return folder


@pytest.mark.parametrize(
    ("command", "dataset", "message"),
    [
        ("train", "one_quote", "too few labelled quotes to train on (1 favor, 0 against, 0 none)"),
        ("train", "one_label", "(8 favor, 0 against, 0 none); training needs at least 5 of each of two labels"),
        ("train", "truncated", "cannot load the 'documents' config of this dataset (Could not open Parquet input"),
        ("train", "no_stance", "document d0, quote q1 has no stance: not a dataset written by annotate export"),
        ("train", "saved", "a datasets save_to_disk folder, not one written by annotate export"),
        ("evaluate", "corrupted", "cannot load the 'documents' config of this dataset (Could not open Parquet input"),
    ],
)
def test_train_and_evaluate_refuse_a_bad_dataset_in_one_line(datasets: Path, command, dataset, message) -> None:
    output = ["-o", "model"] if command == "train" else []
    result = annotate(command, "--dataset", dataset, *output, cwd=datasets)
    assert message in one_line(result)
    assert not (datasets / "model").exists()
