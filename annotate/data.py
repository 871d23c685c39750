"""The one data model that flows through every stage: Document -> Quote -> Span / Speaker / Stance.

Offsets are Python string offsets (code points) into ``Document.text``. Label Studio 1.23 stores Text offsets as
code points too (its editor converts browser selections before saving), so they cross unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STANCE_LABELS = ("favor", "against", "none")
QUOTE_TYPES = ("direct", "indirect", "mixed")


@dataclass
class Span:
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Span | None:
        if data is None:
            return None
        return cls(int(data["start"]), int(data["end"]), data["text"])


@dataclass
class Speaker(Span):
    """A mention of the source (``text`` at ``start:end``) and the canonical ``name`` it refers to."""

    name: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Speaker | None:
        if data is None:
            return None
        return cls(int(data["start"]), int(data["end"]), data["text"], data.get("name") or data["text"])


@dataclass
class Stance:
    label: str = "none"
    scores: dict[str, float] = field(default_factory=lambda: {label: 0.0 for label in STANCE_LABELS})

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": {k: round(float(v), 4) for k, v in self.scores.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Stance:
        if not data:
            return cls()
        return cls(
            data["label"], dict(data.get("scores") or {label: float(label == data["label"]) for label in STANCE_LABELS})
        )


@dataclass
class Quote:
    start: int
    end: int
    text: str
    type: str = "direct"
    cue: Span | None = None
    speaker: Speaker | None = None
    stance: Stance = field(default_factory=Stance)
    score: float = 1.0
    id: str = ""
    rule: str = ""  # the extraction rule that produced the pre-tag ("" for a human's quote)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "type": self.type,
            "cue": self.cue.to_dict() if self.cue else None,
            "speaker": self.speaker.to_dict() if self.speaker else None,
            "stance": self.stance.to_dict(),
            "score": round(float(self.score), 4),
            "rule": self.rule,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            type=data.get("type") or "direct",
            cue=Span.from_dict(data.get("cue")),
            speaker=Speaker.from_dict(data.get("speaker")),
            stance=Stance.from_dict(data.get("stance")),
            score=float(data.get("score", 1.0)),
            id=data.get("id") or "",
            rule=data.get("rule") or "",
        )


@dataclass
class Document:
    id: str
    text: str
    source: str = ""
    quotes: list[Quote] = field(default_factory=list)
    model_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "text": self.text,
            "model_version": self.model_version,
            "quotes": [q.to_dict() for q in self.quotes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            id=str(data["id"]),
            text=data["text"],
            source=data.get("source") or "",
            quotes=[Quote.from_dict(q) for q in data.get("quotes") or []],
            model_version=data.get("model_version") or "",
        )
