"""Stance toward a target: target files (``target``), what the model reads for each quote (``evidence``), the
models and the speaker pooling (``models``), and classifiers learned from a target or from corrections
(``learned``).

The names below load their module on first use, so reading a target file (the export, the agreement report) does
not import torch and the model code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .evidence import SideFinder, StanceItem, quote_context, speaker_description, stance_items
    from .models import ClassifierStance, NliStance, SpeakerMemory, StanceModel, load_stance_model, packaged_encoder
    from .target import Target, load_target

_MODULE_OF = {
    "ClassifierStance": "models",
    "NliStance": "models",
    "SideFinder": "evidence",
    "SpeakerMemory": "models",
    "StanceItem": "evidence",
    "StanceModel": "models",
    "Target": "target",
    "load_stance_model": "models",
    "load_target": "target",
    "packaged_encoder": "models",
    "quote_context": "evidence",
    "speaker_description": "evidence",
    "stance_items": "evidence",
}
__all__ = [
    "ClassifierStance",
    "NliStance",
    "SideFinder",
    "SpeakerMemory",
    "StanceItem",
    "StanceModel",
    "Target",
    "load_stance_model",
    "load_target",
    "packaged_encoder",
    "quote_context",
    "speaker_description",
    "stance_items",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_MODULE_OF[name]}", __name__), name)
