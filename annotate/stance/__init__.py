"""Stance toward a target: target files (``target``), what the model reads for each quote (``evidence``), the
models and the speaker pooling (``models``), and classifiers learned from a target or from corrections
(``learned``)."""

from .evidence import SideFinder, StanceItem, quote_context, speaker_description, stance_items
from .models import ClassifierStance, NliStance, SpeakerMemory, StanceModel, load_stance_model, packaged_encoder
from .target import Target, load_target

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
