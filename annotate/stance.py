"""Stance models (placeholder: being written)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .data import Quote, Stance


@dataclass
class Target:
    name: str = ""
    description: str = ""
    statements: dict[str, list[str]] = field(default_factory=dict)


def load_target(path=None) -> Target:
    return Target()


class StanceModel:
    version = "placeholder"

    def predict(self, quotes: list[Quote]) -> list[Stance]:
        return [Stance() for _ in quotes]


def load_stance_model(spec, target) -> StanceModel:
    return StanceModel()
