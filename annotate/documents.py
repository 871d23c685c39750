"""Loading documents: ``.txt`` files, folders of them, ``.jsonl`` files of ``{"id", "text"}``, ``.parquet`` files
with ``id`` (optional) and ``text`` columns, read a batch of rows at a time, and folders saved by ``datasets``
(``save_to_disk``) with the same columns. Text is UTF-8, or UTF-16 with a BOM (``.txt``); text holding NUL is
binary and refused, wherever the NUL is."""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .data import Document
from .errors import first_line

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt"}
JSONL_SUFFIXES = {".jsonl"}
PARQUET_SUFFIXES = {".parquet"}
INPUT_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | PARQUET_SUFFIXES  # the files of a folder that are read
PARQUET_ROWS = 1024  # rows read at a time: memory stays flat in a large file
# One article: a .txt file, or one line of a .jsonl (which is read a line at a time, so it may hold any number).
# Far above any real article (a 10 MB one reads), and a path that never ends (a link to /dev/zero, a disk image
# named .txt) is refused at this size instead of filling the memory.
MAX_TEXT_BYTES = 64 * 2**20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# JSON may escape half of a surrogate pair ("\ud800"), which no UTF-8 output can hold.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_REGULAR = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


@dataclass
class InputError:
    """A problem with one input that the user caused; reported in one line, other inputs go on."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _open_regular_file(path: Path) -> BinaryIO | InputError:
    """``path`` opened for reading, if it is a regular file: a FIFO would wait for a writer forever, a device
    such as /dev/zero never ends."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait; regular files ignore it
    except OSError as exc:
        return InputError(str(path), f"cannot read ({exc.strerror or exc})")
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        return InputError(str(path), f"not a regular file ({NOT_REGULAR.get(kind, 'a special file')})")
    return os.fdopen(fd, "rb")


def _decode(raw: bytes, where: str) -> str:
    """UTF-8 (a BOM is dropped), or UTF-16 when a BOM says so; undecodable bytes become U+FFFD, with a warning."""
    encoding, name = ("utf-16", "UTF-16") if raw.startswith(UTF16_BOMS) else ("utf-8-sig", "UTF-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        log.warning("%s: not valid %s; undecodable bytes were replaced", where, name)
        return raw.decode(encoding, errors="replace")


def _valid_unicode(value: str, where: str) -> str:
    """``value`` with unpaired surrogates replaced by U+FFFD (one code point each: offsets stay)."""
    if not LONE_SURROGATE.search(value):
        return value
    log.warning("%s: unpaired UTF-16 surrogates (\\ud800-\\udfff) were replaced with U+FFFD", where)
    return LONE_SURROGATE.sub("\ufffd", value)


def _document(where: str, text: object, doc_id: object, default_id: str, path: Path) -> Document | InputError:
    """One document, checked alike whatever file it comes from; ``where`` names its file, line or row."""
    if not isinstance(text, str):
        return InputError(where, 'expected a "text" string')
    # NUL is never in an article (and Label Studio's PostgreSQL cannot store it): binary data, wherever it is.
    if "\x00" in text:
        return InputError(where, "holds NUL characters: binary data, not text")
    name = str(doc_id) if doc_id not in (None, "") else default_id
    return Document(id=_valid_unicode(name, where), text=_valid_unicode(text, where), source=str(path))


def _read_text_file(path: Path) -> Document | InputError:
    handle = _open_regular_file(path)
    if isinstance(handle, InputError):
        return handle
    try:
        with handle:
            raw = handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        return InputError(str(path), f"cannot read ({exc.strerror or exc})")
    if len(raw) > MAX_TEXT_BYTES:
        return InputError(str(path), f"larger than {MAX_TEXT_BYTES // 2**20} MiB: not an article")
    return _document(str(path), _decode(raw, str(path)), path.name, path.name, path)


def _jsonl_record(path: Path, line_no: int, line: bytes) -> Document | InputError:
    where = f"{path}:{line_no}"
    try:
        record = json.loads(_decode(line, where))
    except json.JSONDecodeError as exc:
        return InputError(where, f"invalid JSON ({exc.msg})")
    except RecursionError:
        return InputError(where, "invalid JSON (nested too deeply)")
    if not isinstance(record, dict):
        return InputError(where, 'expected an object with a "text" string')
    return _document(where, record.get("text"), record.get("id"), f"{path.name}:{line_no}", path)


def _read_jsonl_file(path: Path) -> Iterator[Document | InputError]:
    """One record a line, read a line at a time. Only "\n" ends a record: U+2028/U+2029, which JSON strings may
    hold raw, do not."""
    handle = _open_regular_file(path)
    if isinstance(handle, InputError):
        yield handle
        return
    line_no = 0
    try:
        with handle:
            while line := handle.readline(MAX_TEXT_BYTES + 1):
                line_no += 1
                where = f"{path}:{line_no}"
                if line_no == 1 and line.startswith(UTF16_BOMS):
                    yield InputError(where, "UTF-16; JSON lines must be UTF-8 (convert it: iconv -f UTF-16 -t UTF-8)")
                    return
                if len(line) > MAX_TEXT_BYTES:
                    yield InputError(where, f"a line over {MAX_TEXT_BYTES // 2**20} MiB; the rest was not read")
                    return
                if b"\x00" in line:
                    yield InputError(where, "holds NUL bytes: a binary file, not JSON lines; the rest was not read")
                    return
                if line.strip():
                    yield _jsonl_record(path, line_no, line)
    except OSError as exc:
        yield InputError(f"{path}:{line_no + 1}", f"cannot be read ({exc.strerror or exc})")


def _table_columns(path: Path, names: list[str]) -> list[str] | InputError:
    """The columns to read from a table with ``names``: ``text`` and, when there is one, ``id``."""
    if "text" not in names:
        return InputError(str(path), f'no "text" column (columns: {", ".join(names) or "none"})')
    return ["id", "text"] if "id" in names else ["text"]


def _row_document(path: Path, row: int, record: dict) -> Document | InputError:
    """One table row as a document; a row without an id is named by its file and row number."""
    return _document(f"{path}:row {row}", record["text"], record.get("id"), f"{path.name}:{row}", path)


def _read_parquet_file(path: Path) -> Iterator[Document | InputError]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    handle = _open_regular_file(path)
    if isinstance(handle, InputError):
        yield handle
        return
    with handle:
        try:
            table = pq.ParquetFile(handle)
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


def is_saved_dataset(path: Path) -> bool:
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


class _UniqueIds:
    """Gives a document whose id was already taken (in a file, or across inputs) a suffix, ``id#2``."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_number: dict[str, int] = {}  # where to look next for a repeated id: many repeats stay linear

    def name(self, document: Document) -> None:
        if document.id in self.taken:
            number = self.next_number.get(document.id, 2)
            while f"{document.id}#{number}" in self.taken:
                number += 1
            self.next_number[document.id] = number + 1
            renamed = f"{document.id}#{number}"
            log.warning("%s: id %r was already taken; this document is %r", document.source, document.id, renamed)
            document.id = renamed
        self.taken.add(document.id)


def iter_documents(paths: list[Path]) -> Iterator[Document | InputError]:
    """Yield documents from every path in order, each with an id no other has, and an ``InputError`` for each
    bad one."""
    ids = _UniqueIds()
    for item in _iter_paths(paths):
        if isinstance(item, Document):
            ids.name(item)
        yield item


def _folder_files(path: Path) -> list[Path] | InputError:
    """The files of a folder that are read as inputs, in sorted order; FIFOs and other special files are left out."""
    try:
        return sorted(p for p in path.iterdir() if p.suffix.lower() in INPUT_SUFFIXES and p.is_file())
    except OSError as exc:
        return InputError(str(path), f"cannot list the folder ({exc.strerror or exc})")


def _iter_paths(paths: list[Path]) -> Iterator[Document | InputError]:
    for path in paths:
        if not path.exists():
            yield InputError(str(path), "no such file or directory")
        elif path.is_dir() and is_saved_dataset(path):
            yield from _read_saved_dataset(path)
        elif path.is_dir():
            files = _folder_files(path)
            if isinstance(files, InputError):
                yield files
            elif not files:
                yield InputError(str(path), "folder has no .txt, .jsonl or .parquet files")
            else:
                yield from _iter_paths(files)
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
