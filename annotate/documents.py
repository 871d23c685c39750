"""Loading documents: ``.txt`` files, folders of them, ``.jsonl`` files of ``{"id", "text"}``, ``.parquet`` files
with ``id`` (optional) and ``text`` columns, read a batch of rows at a time, and folders saved by ``datasets``
(``save_to_disk``) with the same columns."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .data import Document
from .errors import first_line

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt"}
JSONL_SUFFIXES = {".jsonl"}
PARQUET_SUFFIXES = {".parquet"}
PARQUET_ROWS = 1024  # rows read at a time: memory stays flat in a large file


@dataclass
class InputError:
    """A problem with one input that the user caused; reported in one line, other inputs go on."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _looks_binary(raw: bytes) -> bool:
    return b"\x00" in raw[:8192]


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s: not valid UTF-8; undecodable bytes were replaced", path)
        return raw.decode("utf-8", errors="replace")


def _read_text_file(path: Path) -> Document | InputError:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return InputError(str(path), f"cannot read ({exc.strerror or exc})")
    if _looks_binary(raw):
        return InputError(str(path), "binary file, not a text article")
    return Document(id=path.name, text=_decode(raw, path), source=str(path))


def _read_jsonl_file(path: Path) -> Iterator[Document | InputError]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield InputError(str(path), f"cannot read ({exc.strerror or exc})")
        return
    if _looks_binary(raw):
        yield InputError(str(path), "binary file, not JSON lines")
        return
    # Only "\n" ends a record: str.splitlines() would also split on U+2028/U+2029, which JSON strings may hold raw.
    for line_no, line in enumerate(_decode(raw, path).split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(where, f"invalid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield InputError(where, 'expected an object with a "text" string')
            continue
        doc_id = str(record.get("id") or f"{path.name}:{line_no}")
        yield Document(id=doc_id, text=record["text"], source=str(path))


def _table_columns(path: Path, names: list[str]) -> list[str] | InputError:
    """The columns to read from a table with ``names``: ``text`` and, when there is one, ``id``."""
    if "text" not in names:
        return InputError(str(path), f'no "text" column (columns: {", ".join(names) or "none"})')
    return ["id", "text"] if "id" in names else ["text"]


def _row_document(path: Path, row: int, record: dict) -> Document | InputError:
    """One table row as a document; a row without an id is named by its file and row number."""
    if not isinstance(record["text"], str):
        return InputError(f"{path}:row {row}", 'expected a "text" string')
    doc_id = record.get("id")
    name = str(doc_id) if doc_id not in (None, "") else f"{path.name}:{row}"
    return Document(id=name, text=record["text"], source=str(path))


def _read_parquet_file(path: Path) -> Iterator[Document | InputError]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        yield InputError(str(path), f"not a readable parquet file ({first_line(exc)})")
        return
    columns = _table_columns(path, table.schema_arrow.names)
    if isinstance(columns, InputError):
        yield columns
        return
    row = 0
    try:
        for batch in table.iter_batches(batch_size=PARQUET_ROWS, columns=columns):
            for record in batch.to_pylist():
                row += 1
                yield _row_document(path, row, record)
    except (OSError, pa.ArrowException) as exc:
        yield InputError(f"{path}:row {row + 1}", f"cannot be read ({first_line(exc)})")


def _is_saved_dataset(path: Path) -> bool:
    """A folder written by ``datasets``' ``save_to_disk`` (a dataset, or a dict of splits)."""
    return ((path / "state.json").is_file() and (path / "dataset_info.json").is_file()) or (
        path / "dataset_dict.json"
    ).is_file()


def _read_saved_dataset(path: Path) -> Iterator[Document | InputError]:
    from datasets import load_from_disk

    try:
        dataset = load_from_disk(str(path))
    except (OSError, ValueError) as exc:
        yield InputError(str(path), f"not a readable dataset folder ({first_line(exc)})")
        return
    if hasattr(dataset, "keys"):  # a DatasetDict: one split is not enough to guess from
        yield InputError(str(path), f"a dataset with splits ({', '.join(dataset.keys())}); give one split's folder")
        return
    columns = _table_columns(path, dataset.column_names)
    if isinstance(columns, InputError):
        yield columns
        return
    for row, record in enumerate(dataset.select_columns(columns), start=1):
        yield _row_document(path, row, record)


def iter_documents(paths: list[Path]) -> Iterator[Document | InputError]:
    """Yield documents from every path in order, and an ``InputError`` for each bad one."""
    for path in paths:
        if not path.exists():
            yield InputError(str(path), "no such file or directory")
        elif path.is_dir() and _is_saved_dataset(path):
            yield from _read_saved_dataset(path)
        elif path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES | PARQUET_SUFFIXES
            )
            if not files:
                yield InputError(str(path), "folder has no .txt, .jsonl or .parquet files")
            yield from iter_documents(files)
        elif path.suffix.lower() in TEXT_SUFFIXES:
            yield _read_text_file(path)
        elif path.suffix.lower() in JSONL_SUFFIXES:
            yield from _read_jsonl_file(path)
        elif path.suffix.lower() in PARQUET_SUFFIXES:
            yield from _read_parquet_file(path)
        else:
            yield InputError(
                str(path), f"unsupported file type {path.suffix or '(none)'!r}; expected .txt, .jsonl or .parquet"
            )
