"""Human-labelled quotes to compare against: read from an exported dataset (its ``documents`` config) or
from gold JSON files (``{"docs": {file: [{quote, speaker: [aliases], stance, alt?, type, optional?}]}}``
with the article texts in a folder), and gold JSON converted into the export format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .data import QUOTE_TYPES, STANCE_LABELS, Document, Quote, Speaker, Stance
from .errors import UserError

GOLD_ANNOTATOR = "gold"


@dataclass
class Reference:
    """A human-labelled quote, with the speaker names and stances a prediction may give and still be right,
    and whether missing it is forgiven (``optional``)."""

    quote: Quote
    aliases: list[str]
    stances: list[str]
    optional: bool = False

    @property
    def stance(self) -> str:
        return self.stances[0]


@dataclass
class GoldDocument:
    """One annotation of one document."""

    document: Document
    references: list[Reference] = field(default_factory=list)
    task_id: int = 0
    annotation_id: int = 0
    annotator: str = GOLD_ANNOTATOR


def _find_span(text: str, quote: str) -> tuple[int, int] | None:
    """The first occurrence of ``quote`` in ``text``, allowing any whitespace between its words."""
    match = re.search(r"\s+".join(re.escape(word) for word in quote.split()), text)
    return match.span() if match else None


def _nearest_mention(text: str, aliases: list[str], quote_start: int) -> Speaker | None:
    """The occurrence of one of the speaker's aliases closest to the quote, named by the longest alias (the
    fullest form of the name the gold gives); None when no alias occurs in the text."""
    name = max(aliases, key=len)
    mentions = [m for alias in aliases for m in re.finditer(r"(?<!\w)" + re.escape(alias) + r"(?!\w)", text)]
    if not mentions:
        return None
    best = min(mentions, key=lambda m: abs(m.start() - quote_start))
    return Speaker(best.start(), best.end(), best.group(), name)


def _gold_reference(entry: Any, text: str, number: int, where: str) -> Reference:
    """One gold JSON entry as a reference, checked field by field: ``where`` names the file and article."""

    def invalid(problem: str) -> UserError:
        return UserError(f"{where}, entry {number}: {problem}")

    if not isinstance(entry, dict):
        raise invalid("not an object with quote, speaker and stance")
    if not isinstance(entry.get("quote"), str) or not entry["quote"].strip():
        raise invalid("'quote' must be the quoted text")
    span = _find_span(text, entry["quote"])
    if span is None:
        raise invalid("the quote is not in the article")
    alternatives = entry.get("alt") or []
    stances = [entry.get("stance"), *alternatives] if isinstance(alternatives, list) else []
    if not stances or any(stance not in STANCE_LABELS for stance in stances):
        raise invalid(f"'stance' and each 'alt' must be one of {', '.join(STANCE_LABELS)}")
    quote_type = entry.get("type") or "direct"
    if quote_type not in QUOTE_TYPES:
        raise invalid(f"'type' must be one of {', '.join(QUOTE_TYPES)}")
    # A single name is one alias (never its letters).
    speaker = entry.get("speaker") or []
    aliases = [speaker] if isinstance(speaker, str) else speaker
    if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
        raise invalid("'speaker' must be a list of the names the speaker goes by")
    aliases = [alias for alias in aliases if alias.strip()]
    quote = Quote(
        start=span[0],
        end=span[1],
        text=text[span[0] : span[1]],
        type=quote_type,
        speaker=_nearest_mention(text, aliases, span[0]) if aliases else None,
        stance=Stance(stances[0], {label: float(label == stances[0]) for label in STANCE_LABELS}),
        id=f"q{number}",
    )
    return Reference(quote, aliases, stances, bool(entry.get("optional")))


def _gold_file_documents(path: Path, docs_dir: Path) -> Iterable[GoldDocument]:
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))["docs"]
        if not isinstance(gold, dict) or not all(isinstance(entries, list) for entries in gold.values()):
            raise TypeError("each article must map to a list of quotes")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a gold file with a 'docs' mapping ({exc})") from None
    for file_name, entries in gold.items():
        text_path = docs_dir / file_name
        try:
            text = text_path.read_text(encoding="utf-8")
        except OSError:
            raise UserError(f"{path}: the article {file_name} is not in {docs_dir}") from None
        except UnicodeDecodeError:
            raise UserError(f"{path}: the article {text_path} is not UTF-8 text") from None
        where = f"{path}: {file_name}"
        references = [_gold_reference(entry, text, number, where) for number, entry in enumerate(entries, start=1)]
        yield GoldDocument(Document(id=file_name, text=text, source=str(text_path)), references)


def read_gold_json(path: Path, docs_dir: Path) -> list[GoldDocument]:
    """Gold documents from a gold JSON file or a folder of them; ``docs_dir`` holds the articles."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise UserError(f"{path}: no gold .json files")
    documents = [document for file in files for document in _gold_file_documents(file, docs_dir)]
    for task_id, document in enumerate(documents, start=1):
        document.task_id = document.annotation_id = task_id
    return documents


def first_annotation_per_task(documents: Iterable[GoldDocument]) -> list[GoldDocument]:
    """The earliest annotation of each task, in task order."""
    first: dict[int, GoldDocument] = {}
    for document in sorted(documents, key=lambda d: (d.task_id, d.annotation_id)):
        first.setdefault(document.task_id, document)
    return list(first.values())
