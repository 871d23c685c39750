"""Inter-annotator agreement on tasks with two or more annotations: quote spans (F1 of one annotator's
quotes against the other's), stance (Krippendorff's alpha, nominal) and speaker names on the quotes both
annotators marked. Every pair of annotations of a task is compared."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np
from rich.console import Console
from rich.table import Table

from .data import STANCE_LABELS
from .gold import GoldDocument
from .metrics import format_score, match_spans, same_speaker


def _alpha(first: list[str], second: list[str]) -> float | None:
    """Krippendorff's alpha over units each coded twice; None where it is undefined (no units, or every
    code the same, so that agreement expected by chance is already perfect)."""
    if not first or len(set(first) | set(second)) < 2:
        return None
    codes = np.array([[STANCE_LABELS.index(label) for label in coder] for coder in (first, second)], dtype=float)
    return float(
        krippendorff.alpha(
            reliability_data=codes, level_of_measurement="nominal", value_domain=range(len(STANCE_LABELS))
        )
    )


def agreement(annotations: Iterable[GoldDocument]) -> dict[str, Any]:
    """Agreement figures over every pair of annotations that share a task."""
    by_task: dict[int, list[GoldDocument]] = defaultdict(list)
    for annotation in annotations:
        by_task[annotation.task_id].append(annotation)
    shared = {task: group for task, group in by_task.items() if len(group) >= 2}
    matched = unmatched = same_speakers = 0
    first_stances: list[str] = []
    second_stances: list[str] = []
    annotators: set[str] = set()
    pairs_compared = 0
    for group in shared.values():
        annotators.update(a.annotator for a in group)
        for first, second in combinations(sorted(group, key=lambda a: a.annotation_id), 2):
            pairs_compared += 1
            pairs = match_spans(
                [(r.quote.start, r.quote.end) for r in first.references],
                [(r.quote.start, r.quote.end) for r in second.references],
            )
            matched += len(pairs)
            unmatched += len(first.references) + len(second.references) - 2 * len(pairs)
            for i, j in pairs:
                a, b = first.references[i].quote, second.references[j].quote
                first_stances.append(a.stance.label)
                second_stances.append(b.stance.label)
                same_speakers += same_speaker(a.speaker.name if a.speaker else "", b.speaker.name if b.speaker else "")
    return {
        "tasks_with_several_annotations": len(shared),
        "annotation_pairs": pairs_compared,
        "annotators": sorted(annotators),
        "matched_quotes": matched,
        "unmatched_quotes": unmatched,
        # Symmetric span F1: a matched pair counts once for each annotator.
        "quote_span_f1": 2 * matched / (2 * matched + unmatched) if matched + unmatched else None,
        "stance_alpha": _alpha(first_stances, second_stances),
        "stance_agreement": sum(a == b for a, b in zip(first_stances, second_stances)) / matched if matched else None,
        "speaker_agreement": same_speakers / matched if matched else None,
    }


def render(report: dict[str, Any], console: Console) -> None:
    table = Table(title="Inter-annotator agreement")
    table.add_column("measure")
    table.add_column("value", justify="right")

    table.add_row("tasks with 2+ annotations", str(report["tasks_with_several_annotations"]))
    table.add_row("annotation pairs compared", str(report["annotation_pairs"]))
    table.add_row("annotators", str(len(report["annotators"])))
    table.add_row("quotes both marked / marked by one", f"{report['matched_quotes']} / {report['unmatched_quotes']}")
    table.add_row("quote span F1 (overlap ≥ 50%)", format_score(report["quote_span_f1"]))
    table.add_row("stance Krippendorff's alpha (nominal)", format_score(report["stance_alpha"]))
    table.add_row("stance raw agreement", format_score(report["stance_agreement"]))
    table.add_row("same speaker", format_score(report["speaker_agreement"]))
    console.print(table)
