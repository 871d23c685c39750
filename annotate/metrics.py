"""Measures shared by evaluation, inter-annotator agreement and training: span matching, speaker-name
matching and stance classification scores."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .data import STANCE_LABELS

Span = tuple[int, int]


def format_score(value: float | None) -> str:
    """A score as tables and cards print it."""
    return "n/a" if value is None else f"{value:.3f}"


def shared_chars(first: Span, second: Span) -> int:
    """The characters two spans share."""
    return max(0, min(first[1], second[1]) - max(first[0], second[0]))


def overlaps_enough(gold: Span, predicted: Span) -> int:
    """The overlap in characters when it covers at least half of both spans, else 0."""
    overlap = shared_chars(gold, predicted)
    if overlap * 2 >= max(1, gold[1] - gold[0]) and overlap * 2 >= max(1, predicted[1] - predicted[0]):
        return overlap
    return 0


def match_spans(gold: Sequence[Span], predicted: Sequence[Span], exact: bool = False) -> list[tuple[int, int]]:
    """(gold index, predicted index) pairs: each gold span in turn takes the unused prediction that overlaps
    it most (at least half of both spans), or, with ``exact``, the unused prediction with the same offsets."""
    used: set[int] = set()
    pairs = []
    for gi, span in enumerate(gold):
        best, best_j = 0, None
        for j, candidate in enumerate(predicted):
            if j in used:
                continue
            overlap = int(tuple(candidate) == tuple(span)) if exact else overlaps_enough(span, candidate)
            if overlap > best:
                best, best_j = overlap, j
        if best_j is not None:
            used.add(best_j)
            pairs.append((gi, best_j))
    return pairs


def prf(true_positives: int, false_positives: int, false_negatives: int) -> dict[str, float]:
    precision = true_positives / max(1, true_positives + false_positives)
    recall = true_positives / max(1, true_positives + false_negatives)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def name_aliases(name: str) -> list[str]:
    """The forms of a canonical name that identify the speaker: the full name and, for a longer name, its
    last word (the surname, as news style uses on second reference)."""
    words = name.split()
    return [name, words[-1]] if len(words) > 1 else words


def name_matches(predicted: str, aliases: Sequence[str]) -> bool:
    """True when one of the aliases occurs as whole words in the predicted name (case-insensitive)."""
    predicted = predicted.lower()
    return any(
        re.search(r"(?<!\w)" + re.escape(alias.lower()) + r"(?!\w)", predicted) for alias in aliases if alias.strip()
    )


def same_speaker(first: str, second: str) -> bool:
    """Two canonical names for the same speaker: equal, or one contains the other's full name or surname.
    Two empty names (no speaker) agree."""
    if not first.strip() or not second.strip():
        return not first.strip() and not second.strip()
    return name_matches(first, name_aliases(second)) or name_matches(second, name_aliases(first))


def stance_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Accuracy, macro-F1 (over the labels that occur in either list), per-label scores and the confusion
    matrix (rows: gold, columns: predicted, in ``STANCE_LABELS`` order)."""
    if not gold:
        return {
            "n": 0,
            "accuracy": None,
            "macro_f1": None,
            "per_label": {},
            "labels": list(STANCE_LABELS),
            "confusion": [],
        }
    # Here, not at the top: the export and agreement use this module and scikit-learn costs seconds to import.
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    present = [label for label in STANCE_LABELS if label in set(gold) | set(predicted)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=list(STANCE_LABELS), zero_division=0
    )
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=present, average="macro", zero_division=0)),
        "per_label": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(STANCE_LABELS, precision, recall, f1, support)
        },
        "labels": list(STANCE_LABELS),
        "confusion": confusion_matrix(gold, predicted, labels=list(STANCE_LABELS)).tolist(),
    }
