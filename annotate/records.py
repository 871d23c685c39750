"""The pre-label record of one document (``Document.to_dict``) as a parquet row: the same fields, typed, written
as a folder of shards (``part-00000.parquet``, ...) that pyarrow, pandas, DuckDB or ``datasets`` read as one table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data import STANCE_LABELS

if TYPE_CHECKING:
    import pyarrow as pa

SHARD_PATTERN = "part-{:05d}.parquet"


def record_schema() -> pa.Schema:
    import pyarrow as pa

    span = [("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())]
    quote = pa.struct(
        [
            ("id", pa.string()),
            *span,
            ("type", pa.string()),
            ("cue", pa.struct(span)),
            ("speaker", pa.struct([*span, ("name", pa.string())])),
            (
                "stance",
                pa.struct([("label", pa.string()), ("scores", pa.struct([(k, pa.float64()) for k in STANCE_LABELS]))]),
            ),
            ("score", pa.float64()),
            ("rule", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("text", pa.string()),
            ("model_version", pa.string()),
            ("quotes", pa.list_(quote)),
        ]
    )


def is_shard_folder(path: Path) -> bool:
    """Whether ``path`` holds only shards this module wrote (so a new run may replace it)."""
    return path.is_dir() and all(
        child.suffix == ".parquet" and child.name.startswith("part-") for child in path.iterdir()
    )


class ParquetShards:
    """Writes records into ``folder``, ``rows`` to a shard, so that memory holds one shard at a time."""

    def __init__(self, folder: Path, rows: int):
        self.folder, self.rows = folder, rows
        self.shards = 0
        self._pending: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        self._pending.append(record)
        if len(self._pending) >= self.rows:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._pending and self.shards:
            return
        table = pa.Table.from_pylist(self._pending, schema=record_schema())
        pq.write_table(table, self.folder / SHARD_PATTERN.format(self.shards))
        self.shards += 1
        self._pending = []
