"""Label Studio: converters between the data model and tasks/predictions/annotations (the one place
they live), and the SDK client for projects, import and export.

Label Studio's Text tag counts offsets in UTF-16 code units (the browser's string indices); the data
model counts Python code points. Every offset crosses that boundary here and nowhere else.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from pathlib import Path
from typing import Any

from .data import STANCE_LABELS, Document, Quote, Span, Speaker, Stance

LABEL_CONFIG_PATH = Path(__file__).resolve().parent.parent / "label_config" / "quotes.xml"

# Names of the tags in label_config/quotes.xml.
SPAN_TAG, TEXT_TAG, STANCE_TAG, TYPE_TAG, NAME_TAG = "label", "text", "stance", "type", "speaker_name"
QUOTE_LABEL, SPEAKER_LABEL, RELATION_LABEL = "Quote", "Speaker", "said_by"


def label_config() -> str:
    return LABEL_CONFIG_PATH.read_text(encoding="utf-8")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class OffsetMap:
    """Code-point <-> UTF-16 offsets for one text; identity unless it has characters outside the BMP."""

    def __init__(self, text: str):
        # Code-point positions of astral characters, each of which takes two UTF-16 units.
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        self._astral_utf16 = [i + n for n, i in enumerate(self._astral)]

    def to_utf16(self, offset: int) -> int:
        return offset + bisect_right(self._astral, offset - 1)

    def from_utf16(self, offset: int) -> int:
        return offset - bisect_right(self._astral_utf16, offset - 2)


def _region(region_id: str, span: Span, offsets: OffsetMap, from_name: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": TEXT_TAG,
        "type": kind,
        "value": {"start": offsets.to_utf16(span.start), "end": offsets.to_utf16(span.end), **value},
    }


def quotes_to_result(text: str, quotes: list[Quote]) -> list[dict[str, Any]]:
    """Label Studio result items for quotes: spans, per-region stance/type/name, said_by relations."""
    offsets = OffsetMap(text)
    result: list[dict[str, Any]] = []
    speaker_ids: dict[tuple[int, int], str] = {}
    for number, quote in enumerate(quotes, start=1):
        quote_id = quote.id or f"q{number}"
        span = Span(quote.start, quote.end, quote.text)
        result.append(_region(quote_id, span, offsets, SPAN_TAG, "labels", {"text": quote.text, "labels": [QUOTE_LABEL]}))
        result.append(_region(quote_id, span, offsets, STANCE_TAG, "choices", {"choices": [quote.stance.label]}))
        result.append(_region(quote_id, span, offsets, TYPE_TAG, "choices", {"choices": [quote.type]}))
        if quote.speaker is None:
            continue
        speaker = quote.speaker
        key = (speaker.start, speaker.end)
        if key not in speaker_ids:
            speaker_ids[key] = f"{quote_id}-speaker"
            result.append(_region(speaker_ids[key], speaker, offsets, SPAN_TAG, "labels", {"text": speaker.text, "labels": [SPEAKER_LABEL]}))
            result.append(_region(speaker_ids[key], speaker, offsets, NAME_TAG, "textarea", {"text": [speaker.name or speaker.text]}))
        result.append({"type": "relation", "from_id": quote_id, "to_id": speaker_ids[key], "direction": "right", "labels": [RELATION_LABEL]})
    return result


def document_to_task(document: Document) -> dict[str, Any]:
    """A task for import, with the pre-labels as a prediction."""
    scores = [q.score for q in document.quotes]
    return {
        "data": {
            "text": document.text,
            "doc_id": document.id,
            "source": document.source,
            "content_hash": content_hash(document.text),
        },
        "predictions": [
            {
                "model_version": document.model_version,
                "score": round(sum(scores) / len(scores), 4) if scores else 0.0,
                "result": quotes_to_result(document.text, document.quotes),
            }
        ],
    }


def result_to_quotes(text: str, result: list[dict[str, Any]]) -> list[Quote]:
    """Quotes from a Label Studio annotation or prediction result, in text order.

    Per-region choices and text areas share the id of the span they belong to; a Quote's speaker is
    the Speaker region its said_by relation points to (either direction, as annotators draw both).
    """
    offsets = OffsetMap(text)
    spans: dict[str, Span] = {}
    labels: dict[str, str] = {}
    attributes: dict[str, dict[str, Any]] = {}
    links: list[tuple[str, str]] = []
    for item in result:
        if item.get("type") == "relation":
            links.append((item["from_id"], item["to_id"]))
            continue
        value, region_id = item.get("value") or {}, item.get("id")
        if region_id is None or "start" not in value:
            continue
        start, end = offsets.from_utf16(int(value["start"])), offsets.from_utf16(int(value["end"]))
        spans[region_id] = Span(start, end, text[start:end])
        if item.get("from_name") == SPAN_TAG and value.get("labels"):
            labels[region_id] = value["labels"][0]
        elif item.get("from_name") in (STANCE_TAG, TYPE_TAG) and value.get("choices"):
            attributes.setdefault(region_id, {})[item["from_name"]] = value["choices"][0]
        elif item.get("from_name") == NAME_TAG and value.get("text"):
            attributes.setdefault(region_id, {})[NAME_TAG] = " ".join(value["text"]).strip()

    def speaker_of(region_id: str) -> Speaker | None:
        for a, b in links:
            other = b if a == region_id else a if b == region_id else None
            if other is not None and labels.get(other) == SPEAKER_LABEL:
                span = spans[other]
                name = attributes.get(other, {}).get(NAME_TAG) or span.text
                return Speaker(span.start, span.end, span.text, name)
        return None

    quotes = []
    for region_id, label in labels.items():
        if label != QUOTE_LABEL:
            continue
        span, extra = spans[region_id], attributes.get(region_id, {})
        stance_label = extra.get(STANCE_TAG)
        quotes.append(
            Quote(
                start=span.start,
                end=span.end,
                text=span.text,
                type=extra.get(TYPE_TAG) or "direct",
                speaker=speaker_of(region_id),
                stance=Stance(stance_label, {k: float(k == stance_label) for k in STANCE_LABELS}) if stance_label else Stance(),
                id=region_id,
            )
        )
    return sorted(quotes, key=lambda q: (q.start, q.end))
