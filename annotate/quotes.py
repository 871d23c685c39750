"""Quote and cue spans (placeholder: being written)."""

from __future__ import annotations

from .data import Quote


def find_quotes(text: str) -> list[Quote]:
    return []
