"""How well the pre-labeller agrees with the human annotations: quote spans (overlap and exact match),
speakers of matched quotes, and stance (accuracy, macro-F1, confusion matrix, stance by speaker)."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .data import STANCE_LABELS, Document, Quote
from .gold import GoldDocument, Reference
from .metrics import format_score, match_spans, name_matches, prf, stance_scores


def _span_counts(
    references: list[Reference], predicted: list[Quote], exact: bool
) -> tuple[list[tuple[int, int]], int, int]:
    """Matched pairs, false positives and false negatives for one document. Missing an optional gold quote
    costs nothing, and neither does a prediction that overlaps one."""
    gold_spans = [(r.quote.start, r.quote.end) for r in references]
    predicted_spans = [(q.start, q.end) for q in predicted]
    pairs = match_spans(gold_spans, predicted_spans, exact=exact)
    matched_gold = {gi for gi, _ in pairs}
    matched_predicted = {pj for _, pj in pairs}
    false_negatives = sum(1 for gi, r in enumerate(references) if gi not in matched_gold and not r.optional)
    false_positives = sum(
        1
        for pj, span in enumerate(predicted_spans)
        if pj not in matched_predicted
        and not any(r.optional and min(g[1], span[1]) > max(g[0], span[0]) for g, r in zip(gold_spans, references))
    )
    return pairs, false_positives, false_negatives


def speaker_correct(reference: Reference, predicted: Quote) -> bool:
    """The predicted speaker names the gold speaker (one of its aliases occurs in the predicted name or
    mention); a quote the gold leaves without a speaker must be predicted without one."""
    if predicted.speaker is None or not reference.aliases:
        return predicted.speaker is None and not reference.aliases
    return name_matches(f"{predicted.speaker.name} {predicted.speaker.text}", reference.aliases)


def compare(gold: list[GoldDocument], predicted: list[Document]) -> dict[str, Any]:
    """The report comparing each predicted document with the gold document in the same position (ids can
    repeat: several tasks may share a document id)."""
    counts = {"overlap": Counter(), "exact": Counter()}
    speaker_hits = both_right = 0
    gold_stances, predicted_stances, speakers = [], [], []
    for gold_document, predicted_document in zip(gold, predicted, strict=True):
        references = gold_document.references
        quotes = predicted_document.quotes
        for kind in counts:
            pairs, false_positives, false_negatives = _span_counts(references, quotes, exact=kind == "exact")
            counts[kind].update(tp=len(pairs), fp=false_positives, fn=false_negatives)
            if kind == "overlap":
                matched = pairs
        for gi, pj in matched:
            reference, quote = references[gi], quotes[pj]
            speaker_right = speaker_correct(reference, quote)
            speaker_hits += speaker_right
            label = quote.stance.label
            both_right += speaker_right and label in reference.stances
            # An also-accepted stance (gold "alt") counts as the gold label.
            gold_stances.append(label if label in reference.stances else reference.stance)
            predicted_stances.append(label)
            speakers.append(reference.quote.speaker.name if reference.quote.speaker else "(none)")
    by_speaker: dict[str, dict[str, Counter]] = {}
    for speaker, gold_label, predicted_label in zip(speakers, gold_stances, predicted_stances):
        entry = by_speaker.setdefault(speaker, {"gold": Counter(), "predicted": Counter()})
        entry["gold"][gold_label] += 1
        entry["predicted"][predicted_label] += 1
    return {
        "documents": len(gold),
        "gold_quotes": sum(len(d.references) for d in gold),
        "predicted_quotes": sum(len(d.quotes) for d in predicted),
        "quotes": {
            kind: {**prf(c["tp"], c["fp"], c["fn"]), "tp": c["tp"], "fp": c["fp"], "fn": c["fn"]}
            for kind, c in counts.items()
        },
        # A quote counts here only when its span matches and its speaker and stance are both right.
        "end_to_end": prf(
            both_right,
            counts["overlap"]["tp"] + counts["overlap"]["fp"] - both_right,
            counts["overlap"]["tp"] + counts["overlap"]["fn"] - both_right,
        ),
        "speaker": {
            "accuracy": speaker_hits / len(gold_stances) if gold_stances else None,
            "correct": speaker_hits,
            "matched": len(gold_stances),
        },
        "stance": stance_scores(gold_stances, predicted_stances),
        "stance_by_speaker": {
            speaker: {side: {label: entry[side][label] for label in STANCE_LABELS} for side in ("gold", "predicted")}
            for speaker, entry in sorted(by_speaker.items(), key=lambda item: -sum(item[1]["gold"].values()))
        },
    }


def evaluate(gold: list[GoldDocument], prelabeller, on_document: Callable[[], None] | None = None) -> dict[str, Any]:
    """Re-run the pre-labeller on the gold documents' texts and compare with the gold."""
    fresh = (Document(id=g.document.id, text=g.document.text, source=g.document.source) for g in gold)
    predicted = []
    for document in prelabeller.prelabel(fresh):
        predicted.append(document)
        if on_document:
            on_document()
    report = compare(gold, predicted)
    target = prelabeller.target
    return {"model_version": prelabeller.model_version, "target": getattr(target, "name", ""), **report}


def render(report: dict[str, Any], console: Console) -> None:
    """The report as rich tables."""
    console.print(
        f"model [bold]{report['model_version']}[/] · {report['documents']} documents · "
        f"{report['gold_quotes']} gold quotes · {report['predicted_quotes']} predicted",
        highlight=False,
    )
    quotes = Table(title="Quotes")
    for column in ("match", "precision", "recall", "F1", "tp", "fp", "fn"):
        quotes.add_column(column, justify="left" if column == "match" else "right")
    for kind, label in (("overlap", "overlap ≥ 50%"), ("exact", "exact span")):
        scores = report["quotes"][kind]
        quotes.add_row(
            label,
            format_score(scores["precision"]),
            format_score(scores["recall"]),
            format_score(scores["f1"]),
            *(str(scores[k]) for k in ("tp", "fp", "fn")),
        )
    console.print(quotes)

    stance, speaker = report["stance"], report["speaker"]
    summary = Table(title="On matched quotes")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row(
        "speaker accuracy", f"{format_score(speaker['accuracy'])} ({speaker['correct']}/{speaker['matched']})"
    )
    summary.add_row("stance accuracy", format_score(stance["accuracy"]))
    summary.add_row("stance macro-F1", format_score(stance["macro_f1"]))
    summary.add_row("end-to-end F1 (span, speaker and stance right)", format_score(report["end_to_end"]["f1"]))
    console.print(summary)

    if stance["confusion"]:
        confusion = Table(title="Stance confusion (rows: gold, columns: predicted)")
        confusion.add_column("gold \\ predicted")
        for label in stance["labels"]:
            confusion.add_column(label, justify="right")
        confusion.add_column("F1", justify="right")
        for label, row in zip(stance["labels"], stance["confusion"]):
            confusion.add_row(label, *(str(n) for n in row), format_score(stance["per_label"][label]["f1"]))
        console.print(confusion)


def plot(report: dict[str, Any], path: Path) -> None:
    """A PNG with the stance confusion matrix and the gold and predicted stance of each speaker's quotes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stance = report["stance"]
    speakers = list(report["stance_by_speaker"])[:12]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(13, max(4.5, 0.45 * len(speakers) + 2)), gridspec_kw={"width_ratios": [1, 1.6]}
    )
    matrix = stance["confusion"] or [[0] * len(STANCE_LABELS) for _ in STANCE_LABELS]
    left.imshow(matrix, cmap="Blues")
    left.set_xticks(range(len(STANCE_LABELS)), STANCE_LABELS)
    left.set_yticks(range(len(STANCE_LABELS)), STANCE_LABELS)
    left.set_xlabel("predicted")
    left.set_ylabel("gold")
    left.set_title(f"Stance (accuracy {format_score(stance['accuracy'])}, macro-F1 {format_score(stance['macro_f1'])})")
    darkest = max(max(row) for row in matrix)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            left.text(j, i, str(count), ha="center", va="center", color="white" if count > darkest / 2 else "black")

    colours = {"favor": "tab:green", "against": "tab:red", "none": "tab:gray"}
    for offset, side in ((-0.2, "gold"), (0.2, "predicted")):
        lefts = [0] * len(speakers)
        for label in STANCE_LABELS:
            counts = [report["stance_by_speaker"][s][side][label] for s in speakers]
            right.barh(
                [i + offset for i in range(len(speakers))],
                counts,
                height=0.38,
                left=lefts,
                color=colours[label],
                alpha=1.0 if side == "gold" else 0.55,
                label=f"{label} ({side})",
            )
            lefts = [a + b for a, b in zip(lefts, counts)]
    right.set_yticks(range(len(speakers)), speakers)
    right.invert_yaxis()
    right.set_xlabel("matched quotes (upper bar: gold, lower bar: predicted)")
    right.set_title("Stance by speaker")
    right.legend(fontsize="small", loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    try:
        figure.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
        plt.close(figure)
