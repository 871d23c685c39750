"""What the stance model reads for each quote: the quote with its cue and sentence, who says it, and the side of
the debate the speaker's description places them on.

Who speaks is half of a stance in news: a government's officials argue its side from one article to the next.
The side comes from the target's ``sides`` phrases found in the speaker's description: the mention itself
("the Pentagon", "Turkey's foreign minister"), the title run before each occurrence of the name ("Defence Minister
X") and an appositive after it ("X, a NATO spokesman,"). A phrase after "in" or "at" is a place, not an
allegiance ("an analyst at a Washington think tank"), and analysts, academics and former officials take no side.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass

from ..data import Document, Quote, Speaker
from ..extract.layout import Layout, squeeze
from ..extract.lexicon import ROLE_WORDS, TITLE_WORDS
from .target import SIDES, Target

CONTEXT_CHARS = 700  # about the 128 tokens the classifier reads; a longer paragraph is cut around the quote
NAME_OCCURRENCES = 20  # occurrences of a speaker's name read for their description (bounds the work)
TITLE_RUN_WORDS = 8  # "Turkish Deputy Foreign Minister" and the like fit
# Lowercase words that may stand in a title before a name ("the country's foreign minister X").
TITLE_RUN_LOWER = {w.lower().rstrip(".") for w in TITLE_WORDS} | ROLE_WORDS | {"of", "for", "the", "and", "top"}
APPOSITIVE_RE = re.compile(r"\s*,\s*([^,.;:!?\"“”\n]{2,120})[,.]")
PLACE_BEFORE_RE = re.compile(r"(?:\b(?:in|at)\s+(?:the\s+|a\s+)?)$", re.IGNORECASE)
# A side is argued by a party's officials; analysts, academics and former officials speak for themselves, whatever
# their nationality ("a Turkish analyst", "a retired ambassador", "a fellow at a Washington institute").
INDEPENDENT_RE = re.compile(
    r"\b(?:analysts?|experts?|researchers?|professors?|fellows?|scholars?|specialists?|consultants?|commentators?"
    r"|columnists?|academics?|think[- ]tanks?|institutes?|universit(?:y|ies)|former|retired|ex-)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StanceItem:
    """One quote as the stance model sees it."""

    text: str  # the quote with its cue and sentence
    speaker: str  # the canonical speaker name, "" when the quote has none
    side: str | None  # "favor" / "against" when the speaker's description places them on a side
    document: Hashable  # which document the quote is from: unnamed speakers pool within it only
    span: tuple[int, int] = (0, 0)  # where the quote is in its document
    quote: tuple[int, int] | None = None  # where the quote is in ``text``; None: all of it


def quote_context(layout: Layout, quote: Quote) -> tuple[str, tuple[int, int]]:
    """The sentences holding the quote and, when in the same paragraph, its cue and speaker mention; and where the
    quote is in that text."""
    text = layout.text
    paragraph = next((p for p in layout.paragraphs if p.start <= quote.start < p.end), None)
    start, end = quote.start, quote.end
    if paragraph is not None:
        for span in (quote.cue, quote.speaker):
            if (
                span is not None
                and paragraph.start <= span.start
                and span.end <= paragraph.end
                and span.end > span.start
            ):
                start, end = min(start, span.start), max(end, span.end)
        for sentence_start, sentence_end in paragraph.sentences:
            if sentence_start <= start < sentence_end:
                start = sentence_start
            if sentence_start < end <= sentence_end:
                end = sentence_end
        if not paragraph.sentences:  # a paragraph that is not prose (a transcript line, a list): all of it
            start, end = min(start, paragraph.start), max(end, paragraph.end)
    if end - start > CONTEXT_CHARS:  # keep the quote's own start in view
        start = max(start, min(quote.start, end - CONTEXT_CHARS))
        end = min(end, start + CONTEXT_CHARS)
    return squeeze(text, start, end, (quote.start, quote.end))


def _title_run(text: str, pos: int) -> str:
    """The title words right before a name: capitalised words, abbreviated titles ("Sen."), possessives and
    lowercase title words, across one comma after a role ("his Turkish counterpart, X")."""
    words = text[max(0, pos - 120) : pos].split()
    run: list[str] = []
    for word in reversed(words):
        bare = word.strip("(\"“”‘’'")
        if not bare or len(run) == TITLE_RUN_WORDS:
            break
        if bare[-1] in ",.;:!?" and bare not in TITLE_WORDS:
            if not (bare[-1] == "," and run and bare[:-1].lower() in ROLE_WORDS):
                break
            bare = bare[:-1]
        if not (
            bare[0].isupper() or bare.lower().rstrip(".") in TITLE_RUN_LOWER or bare.lower().endswith(("'s", "’s"))
        ):
            break
        run.append(bare)
    return " ".join(reversed(run))


def speaker_description(text: str, speaker: Speaker) -> str:
    """The mention, the canonical name, and the titles and appositives around each occurrence of the name."""
    parts = [speaker.text, speaker.name]
    words = speaker.name.split()
    surname = words[-1] if words else ""
    if len(surname) > 1 and surname[0].isupper():
        pattern = re.compile(r"(?<!\w)" + re.escape(surname) + r"(?!\w)")
        for number, match in enumerate(pattern.finditer(text)):
            if number == NAME_OCCURRENCES:
                break
            parts.append(_title_run(text, match.start()))
            if appositive := APPOSITIVE_RE.match(text, match.end()):
                parts.append(appositive.group(1))
    return " | ".join(part for part in parts if part)


def _side_pattern(phrase: str) -> re.Pattern[str]:
    # An acronym ("US", "NATO") matches only as written: "us" is a pronoun.
    flags = 0 if phrase.isupper() else re.IGNORECASE
    return re.compile(r"(?<![\w.])" + re.escape(phrase) + r"(?!\w)", flags)


class SideFinder:
    """Which side of the target's debate a speaker's description places them on, by the target's ``sides``."""

    def __init__(self, target: Target):
        self.phrases = sorted(
            ((_side_pattern(phrase), side) for side in SIDES for phrase in target.sides.get(side, ())),
            key=lambda pair: -len(pair[0].pattern),
        )

    def side(self, description: str) -> str | None:
        """The side with more matching phrases; a longer phrase claims its words first ("Turkish opposition"
        before "Turkish"), and a tie is no side, nor is an independent voice (``INDEPENDENT_RE``)."""
        if INDEPENDENT_RE.search(description):
            return None
        taken = [False] * len(description)
        counts = dict.fromkeys(SIDES, 0)
        for pattern, side in self.phrases:
            for match in pattern.finditer(description):
                if any(taken[match.start() : match.end()]) or PLACE_BEFORE_RE.search(description, 0, match.start()):
                    continue
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
                counts[side] += 1
        favor, against = counts["favor"], counts["against"]
        return None if favor == against else ("favor" if favor > against else "against")


def stance_items(
    document: Document, sides: SideFinder, key: Hashable, layout: Layout | None = None
) -> list[StanceItem]:
    """The stance model's view of each of the document's quotes; ``key`` identifies the document in a run and
    ``layout`` is the document's, when extraction has computed it already."""
    layout = layout or Layout.of(document.text)
    descriptions: dict[tuple[int, int, str], str | None] = {}
    items = []
    for quote in document.quotes:
        side = None
        if quote.speaker is not None:
            mention = (quote.speaker.start, quote.speaker.end, quote.speaker.name)
            if mention not in descriptions:
                descriptions[mention] = sides.side(speaker_description(document.text, quote.speaker))
            side = descriptions[mention]
        name = quote.speaker.name if quote.speaker else ""
        context, within = quote_context(layout, quote)
        items.append(StanceItem(context, name, side, key, (quote.start, quote.end), within))
    return items
