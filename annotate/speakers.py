"""Speakers (placeholder: being written)."""

from __future__ import annotations

from .data import Quote


def attribute_speakers(text: str, quotes: list[Quote]) -> None:
    return None
