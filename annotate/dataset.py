"""Label Studio export -> Hugging Face dataset folder (``quotes`` and ``documents`` configs).

Rows come only from human annotations: tasks nobody annotated and skipped (cancelled) annotations are
counted, never exported as if labelled. Each annotated quote is compared with the pre-label it came from
(the annotation's prediction), so the dataset records what annotators kept, edited, deleted and added.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec
import pyarrow as pa
from datasets import ClassLabel, Dataset, DatasetInfo, Features, List, SplitDict, SplitInfo, Value
from datasets.info import DatasetInfosDict
from datasets.table import InMemoryTable
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from .agreement import agreement
from .data import QUOTE_TYPES, STANCE_LABELS, Document, Quote, Speaker, Stance
from .documents import is_saved_dataset
from .errors import UserError, first_line
from .files import atomic_folder
from .gold import GoldDocument, Reference, read_gold_json
from .labelstudio import (
    DOC_ID_KEY,
    HASH_KEY,
    SOURCE_KEY,
    TEXT_TAG,
    document_to_task,
    quotes_to_result,
    result_to_quotes,
    task_keys,
)
from .metrics import format_score, name_aliases, shared_chars

if TYPE_CHECKING:
    from .stance import Target

RAW_EXPORT = Path("raw") / "label_studio_export.json"
# A re-drawn quote still counts as the pre-label it replaces when the overlap covers half of the longer span.
MIN_OVERLAP = 0.5

QUOTE_TYPE_DEFINITIONS = {
    "direct": "the words inside quotation marks, marks left out",
    "indirect": "the reported clause after the speech verb, without the verb, the speaker or 'that'",
    "mixed": "a reported clause holding a partial direct quotation, the whole clause",
}
STANCE_DEFINITIONS = {
    "favor": "the quote supports or defends {target}, or criticises those who oppose it",
    "against": "the quote opposes {target}, warns of its consequences or urges it be abandoned",
    "none": "neutral facts, unrelated content or a balanced statement about {target}",
}

_ANNOTATION_FIELDS = {
    "doc_id": Value("string"),
    "task_id": Value("int64"),
    "annotation_id": Value("int64"),
    "annotator": Value("string"),
}
_QUOTE_FIELDS = {
    "quote_id": Value("string"),
    "quote_text": Value("string"),
    "quote_start": Value("int64"),
    "quote_end": Value("int64"),
    "type": ClassLabel(names=list(QUOTE_TYPES)),
    "speaker_text": Value("string"),
    "speaker_start": Value("int64"),
    "speaker_end": Value("int64"),
    "speaker_name": Value("string"),
    "stance": ClassLabel(names=list(STANCE_LABELS)),
    "prelabel_stance": ClassLabel(names=list(STANCE_LABELS)),
    "prelabel_speaker_name": Value("string"),
    "stance_changed": Value("bool"),
    "speaker_changed": Value("bool"),
    "prelabel_status": Value("string"),
    "prelabel_rule": Value("string"),
    "model_version": Value("string"),
}
QUOTE_FEATURES = Features({**_ANNOTATION_FIELDS, **_QUOTE_FIELDS})
DOCUMENT_FEATURES = Features(
    {
        **_ANNOTATION_FIELDS,
        "text": Value("string"),
        "source": Value("string"),
        "content_hash": Value("string"),
        "quotes": List(_QUOTE_FIELDS),
    }
)


@dataclass
class ExportSummary:
    tasks: int = 0
    annotated_tasks: int = 0
    tasks_without_annotation: int = 0
    cancelled_annotations: int = 0
    annotations: int = 0
    quotes: int = 0
    annotators: set[str] = field(default_factory=set)
    model_versions: set[str] = field(default_factory=set)
    # Pre-label review: kept / edited / added annotated quotes, deleted pre-labelled quotes.
    review: Counter = field(default_factory=Counter)
    stance: Counter = field(default_factory=Counter)
    type: Counter = field(default_factory=Counter)


@dataclass
class ExportRows:
    quotes: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    summary: ExportSummary


def _speaker_name(quote: Quote | None) -> str | None:
    return quote.speaker.name if quote is not None and quote.speaker is not None else None


def _overlap(a: Quote, b: Quote) -> float:
    """The share of the longer quote that the two have in common."""
    return shared_chars((a.start, a.end), (b.start, b.end)) / max(a.end - a.start, b.end - b.start, 1)


def match_prelabels(quotes: list[Quote], prelabels: list[Quote]) -> dict[str, Quote]:
    """Annotated quote id -> the pre-labelled quote it corrects: same region id first (Label Studio keeps
    a pre-label's id when the annotator edits it), else the best remaining overlap of at least half."""
    remaining = {p.id: p for p in prelabels}
    matches = {q.id: remaining.pop(q.id) for q in quotes if q.id in remaining}
    for quote in quotes:
        if quote.id in matches or not remaining:
            continue
        best = max(remaining.values(), key=lambda p: _overlap(quote, p))
        if _overlap(quote, best) >= MIN_OVERLAP:
            matches[quote.id] = remaining.pop(best.id)
    return matches


def _prediction_of(annotation: dict[str, Any], task: dict[str, Any]) -> dict[str, Any] | None:
    """The pre-label an annotation started from: its embedded prediction, else its parent prediction or the
    task's latest one when the export carries full predictions (not only ids)."""
    embedded = annotation.get("prediction")
    if isinstance(embedded, dict) and "result" in embedded:
        return embedded
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    parent = annotation.get("parent_prediction")
    return next((p for p in predictions if p.get("id") == parent), predictions[-1] if predictions else None)


def _annotator(completed_by: Any) -> str:
    """The annotator's email when the export gives users, else their id."""
    if isinstance(completed_by, dict):
        return completed_by.get("email") or str(completed_by.get("id", ""))
    return str(completed_by)


def _quote_fields(quote: Quote, prelabel: Quote | None, model_version: str | None) -> dict[str, Any]:
    speaker = quote.speaker
    fields: dict[str, Any] = {
        "quote_id": quote.id,
        "quote_text": quote.text,
        "quote_start": quote.start,
        "quote_end": quote.end,
        "type": quote.type,
        "speaker_text": speaker.text if speaker else None,
        "speaker_start": speaker.start if speaker else None,
        "speaker_end": speaker.end if speaker else None,
        "speaker_name": _speaker_name(quote),
        "stance": quote.stance.label,
        "prelabel_stance": None,
        "prelabel_speaker_name": None,
        "stance_changed": False,
        "speaker_changed": False,
        "prelabel_status": "added",
        "prelabel_rule": None,
        "model_version": model_version,
    }
    if prelabel is not None:
        stance_changed = quote.stance.label != prelabel.stance.label
        speaker_changed = _speaker_name(quote) != _speaker_name(prelabel)
        unchanged = (quote.start, quote.end, quote.type) == (prelabel.start, prelabel.end, prelabel.type)
        fields |= {
            "prelabel_stance": prelabel.stance.label,
            "prelabel_speaker_name": _speaker_name(prelabel),
            "stance_changed": stance_changed,
            "speaker_changed": speaker_changed,
            "prelabel_status": "kept" if unchanged and not stance_changed and not speaker_changed else "edited",
            "prelabel_rule": prelabel.rule or None,
        }
    return fields


def export_rows(tasks: Iterable[dict[str, Any]]) -> ExportRows:
    """Rows of both configs from the tasks of Label Studio's full JSON export, read once, in order."""
    quote_rows: list[dict[str, Any]] = []
    document_rows: list[dict[str, Any]] = []
    summary = ExportSummary()
    for task in tasks:
        summary.tasks += 1
        annotations = task.get("annotations") or []
        completed = [a for a in annotations if not a.get("was_cancelled")]
        summary.cancelled_annotations += len(annotations) - len(completed)
        summary.annotated_tasks += bool(completed)
        summary.tasks_without_annotation += not annotations
        data = task["data"]
        text = data[TEXT_TAG]
        for annotation in completed:
            prediction = _prediction_of(annotation, task)
            prelabels = result_to_quotes(text, prediction["result"]) if prediction else []
            model_version = (prediction or {}).get("model_version") or None
            quotes = result_to_quotes(text, annotation.get("result") or [])
            matches = match_prelabels(quotes, prelabels)
            stored = task_keys(task)
            keys = {
                DOC_ID_KEY: stored[DOC_ID_KEY],
                "task_id": task["id"],
                "annotation_id": annotation["id"],
                "annotator": _annotator(annotation.get("completed_by")),
            }
            quote_fields = [_quote_fields(q, matches.get(q.id), model_version) for q in quotes]
            quote_rows += [{**keys, **fields} for fields in quote_fields]
            document_rows.append(
                {
                    **keys,
                    "text": text,
                    SOURCE_KEY: stored[SOURCE_KEY],
                    HASH_KEY: stored[HASH_KEY],
                    "quotes": quote_fields,
                }
            )
            summary.annotators.add(keys["annotator"])
            if model_version:
                summary.model_versions.add(model_version)
            summary.review.update(fields["prelabel_status"] for fields in quote_fields)
            summary.review["deleted"] += len(prelabels) - len(matches)
            summary.stance.update(fields["stance"] for fields in quote_fields)
            summary.type.update(fields["type"] for fields in quote_fields)
    summary.annotations, summary.quotes = len(document_rows), len(quote_rows)
    return ExportRows(quote_rows, document_rows, summary)


def _card(
    name: str, summary: ExportSummary, target: Target, datasets: Mapping[str, Dataset], agreement: Mapping[str, Any]
) -> DatasetCard:
    card_data = DatasetCardData(pretty_name=f"{name}: quotes, speakers and stance")
    MetadataConfigs(
        {config: {"data_files": [{"split": "train", "path": f"{config}/train.parquet"}]} for config in datasets}
    ).to_dataset_card_data(card_data)
    DatasetInfosDict(
        {
            config: DatasetInfo(
                features=dataset.features,
                splits=SplitDict(
                    {"train": SplitInfo("train", num_bytes=dataset.data.nbytes, num_examples=len(dataset))}
                ),
            )
            for config, dataset in datasets.items()
        }
    ).to_dataset_card_data(card_data)

    def counts(counter: Counter, labels) -> str:
        return "\n".join(f"| {label} | {counter[label]} |" for label in labels)

    target_phrase = target.description or target.name or "the target"
    stance_lines = []
    for label in STANCE_LABELS:
        examples = ", ".join(f'"{statement}"' for statement in target.statements.get(label, [])[:3])
        stance_lines.append(
            f"- **{label}**: {STANCE_DEFINITIONS[label].format(target=target_phrase)}."
            + (f" Typical claims: {examples}" if examples else "")
        )
    type_lines = [f"- **{label}**: {definition}." for label, definition in QUOTE_TYPE_DEFINITIONS.items()]
    versions = ", ".join(f"`{v}`" for v in sorted(summary.model_versions)) or "none"
    content = f"""---
{card_data.to_yaml()}
---

# {name}

Quotations in news articles with their speaker and their stance toward the target, annotated by people in
Label Studio (project `{name}`) from model pre-labels, exported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Offsets are Python code-point offsets: `text[quote_start:quote_end] == quote_text`.

```python
from datasets import load_dataset

quotes = load_dataset("path/to/{name}", "quotes")        # one row per annotated quote
documents = load_dataset("path/to/{name}", "documents")  # one row per annotation of a document
```

The raw Label Studio JSON export (with region ids and relations) is in `{RAW_EXPORT.as_posix()}`.

## Target

**{target.name or "target"}**: {target.description or "(no description)"}

## Labels

Stance (`stance`, `prelabel_stance`):

{chr(10).join(stance_lines)}

Quote type (`type`):

{chr(10).join(type_lines)}

## Counts

| | count |
|---|---|
| tasks in the project | {summary.tasks} |
| tasks with at least one annotation | {summary.annotated_tasks} |
| tasks without annotation (not exported) | {summary.tasks_without_annotation} |
| cancelled (skipped) annotations (not exported) | {summary.cancelled_annotations} |
| annotations (`documents` rows) | {summary.annotations} |
| quotes (`quotes` rows) | {summary.quotes} |
| annotators | {len(summary.annotators)} |

| stance | quotes |
|---|---|
{counts(summary.stance, STANCE_LABELS)}

| type | quotes |
|---|---|
{counts(summary.type, QUOTE_TYPES)}

## Pre-label review

Pre-labelling model version(s): {versions}.

| pre-labels | count |
|---|---|
{counts(summary.review, ("kept", "edited", "deleted", "added"))}

*kept*: same span, type, stance and speaker name as the pre-label; *edited*: matched to a pre-label (same
region id, else at least {MIN_OVERLAP:.0%} span overlap) with something changed; *deleted*: a pre-labelled quote
the annotator removed; *added*: a quote the annotator drew that no pre-label matches (its `prelabel_*` fields are null).

## Inter-annotator agreement

On tasks with two or more annotations, every pair of annotations compared; stance and speaker on the quotes both
annotators marked (spans overlapping by at least half of each).

| measure | value |
|---|---|
| tasks with several annotations | {agreement["tasks_with_several_annotations"]} |
| annotation pairs compared | {agreement["annotation_pairs"]} |
| quote span F1 between annotators | {format_score(agreement["quote_span_f1"])} |
| stance: Krippendorff's alpha (nominal) | {format_score(agreement["stance_alpha"])} |
| stance: share of identical labels | {format_score(agreement["stance_agreement"])} |
| speaker: share of the same speaker | {format_score(agreement["speaker_agreement"])} |
"""
    return DatasetCard(content)


def _is_export(path: Path) -> bool:
    return (path / RAW_EXPORT).is_file() and (path / "README.md").is_file()


LABEL_NAMES = {"type": QUOTE_TYPES, "stance": STANCE_LABELS, "prelabel_stance": STANCE_LABELS}


def _label_indexes(quote: dict[str, Any]) -> dict[str, Any]:
    """A quote's class labels as the indexes the dataset stores."""
    return {
        **quote,
        **{name: None if quote[name] is None else labels.index(quote[name]) for name, labels in LABEL_NAMES.items()},
    }


def _dataset(rows: list[dict[str, Any]], features: Features) -> Dataset:
    """The rows (class labels as indexes) as a dataset, built by Arrow in one call: ``Dataset.from_list`` encodes
    value by value in Python, most of an export's time on a large project."""
    table = pa.Table.from_pylist(rows, schema=features.arrow_schema)
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=features))


def _written_to(tasks: Iterable[dict[str, Any]], raw: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The tasks, each written to ``raw`` as it passes (together, one JSON array in UTF-8): the raw export is
    kept whole without all of it being in memory at once. msgspec encodes it about six times faster than json,
    the largest part of the export's time on a large project otherwise."""
    raw.write(b"[")
    for number, task in enumerate(tasks):
        raw.write(b",\n" if number else b"\n")
        raw.write(msgspec.json.encode(task))
        yield task
    raw.write(b"\n]\n")


def write_dataset(
    tasks: Iterable[dict[str, Any]],
    output: Path,
    *,
    name: str,
    target: Target,
) -> ExportSummary:
    """Write the dataset folder atomically: built beside ``output`` and renamed into place, replacing an
    earlier export there only once the new one is complete. ``tasks`` is read once, task by task."""
    with atomic_folder(output, _is_export, "an earlier export") as folder:
        (folder / RAW_EXPORT).parent.mkdir()
        with (folder / RAW_EXPORT).open("wb") as raw:
            rows = export_rows(_written_to(tasks, raw))
        # `datasets` cannot load a config without rows, so an export without any is refused rather than unloadable.
        if not rows.documents:
            raise UserError(f"nothing to export: {name} has no submitted human annotations yet")
        if not rows.quotes:
            raise UserError(
                f"nothing to export: the {len(rows.documents)} submitted annotation(s) of {name} mark no quotes"
            )
        datasets = {
            "quotes": _dataset([_label_indexes(row) for row in rows.quotes], QUOTE_FEATURES),
            "documents": _dataset(
                [{**row, "quotes": [_label_indexes(quote) for quote in row["quotes"]]} for row in rows.documents],
                DOCUMENT_FEATURES,
            ),
        }
        for config, dataset in datasets.items():
            (folder / config).mkdir()
            dataset.to_parquet(folder / config / "train.parquet")
        # Only tasks annotated more than once are compared: with none, nothing need be read back.
        annotations_of = Counter(row["task_id"] for row in rows.documents)
        shared = [row for row in rows.documents if annotations_of[row["task_id"]] > 1]
        agreement_figures = agreement(gold_from_documents(shared))
        _card(name, rows.summary, target, datasets, agreement_figures).save(folder / "README.md")
    return rows.summary


# ---------------------------------------------------------------- reading the export back, and gold into it


REQUIRED_QUOTE_FIELDS = ("quote_text", "quote_start", "quote_end", "type", "stance")
REQUIRED_DOCUMENT_FIELDS = ("doc_id", "text", "task_id", "annotation_id")


def _require(row: dict[str, Any], names: tuple[str, ...], what: str) -> None:
    """A row that lacks a field every export has is not from an export (or was cut short): one line, not a crash."""
    missing = [name for name in names if row.get(name) is None]
    if missing:
        raise UserError(f"{what} has no {', '.join(missing)}: not a dataset written by annotate export")


def _label_name(value: Any, names: tuple[str, ...], what: str) -> str:
    """A ClassLabel value as its name (datasets gives the index, plain rows give the name)."""
    name = names[value] if isinstance(value, int) and 0 <= value < len(names) else str(value)
    if name not in names:
        raise UserError(f"{what}: {value!r} is not one of {', '.join(names)}")
    return name


def reference_from_row(row: dict[str, Any]) -> Reference:
    """A reference from one quote of the export (a ``quotes`` row or an item of a document's ``quotes``)."""
    what = f"document {row.get('doc_id')}, quote {row.get('quote_id')}"
    _require(row, REQUIRED_QUOTE_FIELDS, what)
    name = row.get("speaker_name") or ""
    speaker = None
    if name or row.get("speaker_text"):
        speaker_start = row.get("speaker_start")
        speaker_end = row.get("speaker_end")
        speaker = Speaker(
            -1 if speaker_start is None else int(speaker_start),
            -1 if speaker_end is None else int(speaker_end),
            row.get("speaker_text") or name,
            name or row.get("speaker_text") or "",
        )
    stance = _label_name(row["stance"], STANCE_LABELS, f"{what}: stance")
    quote = Quote(
        start=int(row["quote_start"]),
        end=int(row["quote_end"]),
        text=row["quote_text"],
        type=_label_name(row["type"], QUOTE_TYPES, f"{what}: type"),
        speaker=speaker,
        stance=Stance(stance, {label: float(label == stance) for label in STANCE_LABELS}),
        id=row.get("quote_id") or "",
    )
    return Reference(quote, name_aliases(speaker.name) if speaker else [], [stance])


def gold_from_documents(rows: Iterable[dict[str, Any]]) -> list[GoldDocument]:
    """Gold documents from rows of the export's ``documents`` config: one per annotation."""
    return [_gold_document(row) for row in rows]


def _gold_document(row: dict[str, Any]) -> GoldDocument:
    _require(row, REQUIRED_DOCUMENT_FIELDS, f"document {row.get('doc_id')}")
    return GoldDocument(
        document=Document(id=str(row["doc_id"]), text=row["text"], source=row.get("source") or ""),
        # Quote ids repeat from one document to the next: the document's id names a bad quote.
        references=[reference_from_row({**quote, "doc_id": row["doc_id"]}) for quote in row.get("quotes") or []],
        task_id=int(row["task_id"]),
        annotation_id=int(row["annotation_id"]),
        annotator=str(row.get("annotator") or ""),
    )


def load_export(dataset: Path, config: str):
    """One config of an exported dataset folder, all its splits together."""
    from datasets import concatenate_datasets, load_dataset
    from datasets.exceptions import DatasetGenerationError

    if not dataset.is_dir():
        raise UserError(f"{dataset}: no such dataset folder")
    if is_saved_dataset(dataset):
        raise UserError(f"{dataset}: a datasets save_to_disk folder, not one written by annotate export")
    datasets_log = logging.getLogger("datasets")
    level = datasets_log.level
    datasets_log.setLevel(logging.CRITICAL)  # its own report of a bad file would come first, over several lines
    try:
        # Built afresh each time: datasets' cache can take a new export for an earlier one of the same name
        # (the backend's retrainings all read a folder named project-ID) and return the earlier rows.
        splits = load_dataset(str(dataset), config, download_mode="force_redownload")
    except (ValueError, FileNotFoundError, DatasetGenerationError) as exc:
        # A truncated or corrupted parquet file: the generation error wraps the reader's, which says what is wrong.
        reason = first_line(exc.__cause__ or exc)
        raise UserError(f"{dataset}: cannot load the '{config}' config of this dataset ({reason})") from None
    finally:
        datasets_log.setLevel(level)
    return concatenate_datasets(list(splits.values()))


def load_gold(dataset: Path, docs_dir: Path | None = None) -> list[GoldDocument]:
    """Gold documents from an exported dataset folder, or from gold JSON (a file, or a folder of them)
    with the article texts in ``docs_dir``."""
    is_gold_json = dataset.suffix == ".json" or (
        dataset.is_dir()
        and any(dataset.glob("*.json"))
        and not (dataset / "README.md").exists()
        and not is_saved_dataset(dataset)
    )
    if is_gold_json:
        if docs_dir is None:
            raise UserError(f"{dataset}: gold JSON needs --docs, the folder of the articles it labels")
        return read_gold_json(dataset, docs_dir)
    rows = load_export(dataset, "documents")
    try:
        return gold_from_documents(rows)
    except UserError as exc:
        raise UserError(f"{dataset}: {exc}") from None


def gold_tasks(documents: Iterable[GoldDocument]) -> list[dict[str, Any]]:
    """Gold documents as Label Studio tasks, each with its gold as a completed annotation (what the
    export reads), so gold JSON becomes a dataset through the same export as real annotations."""
    tasks = []
    for gold in documents:
        task = document_to_task(gold.document)
        task |= {"id": gold.task_id, "predictions": []}
        quotes = [r.quote for r in gold.references]
        task["annotations"] = [
            {"id": gold.annotation_id, "completed_by": gold.annotator, "result": quotes_to_result(quotes)}
        ]
        tasks.append(task)
    return tasks


def write_gold_dataset(documents: list[GoldDocument], folder: Path) -> None:
    """Write gold documents as a dataset folder in the export format (``quotes`` and ``documents``)."""
    from .stance import load_target

    write_dataset(gold_tasks(documents), folder, name=folder.name, target=load_target(None))
