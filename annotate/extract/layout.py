"""Text layout, computed once per document and read by every stage: paragraphs (hard-wrapped lines re-joined),
quoted passages in each paragraph (double marks of every style, balanced single marks), sentences (a quoted
passage is never split) and words as small typed tuples."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from .lexicon import ABBREVIATIONS

WORD_RE = re.compile(r"\S+")
BOILERPLATE_RE = re.compile(
    r"(?:READ MORE|Read [Mm]ore|RELATED|Related(?: \w+)?|SEE ALSO|See [Aa]lso|ALSO READ|Also [Rr]ead|WATCH|Watch"
    r"|Tags?|Source|Photo|Image|Video|Listen|Subscribe|Follow us|Sign up|Click here)\s*[:|>»\-–—]"
    r"|(?:Reporting|Writing|Editing|Additional reporting|Compiled) by\b|Copyright\b|©|Advertisement\b",
    re.IGNORECASE,
)
DATELINE_RE = re.compile(r"[A-Z][^.!?\"“”\n]{0,80}?(?:\([^)\n]{1,50}\))?\s+[—–-]{1,2}\s+(?=[A-Z“\"])")
SENTENCE_END_RE = re.compile(r"[.!?…]+[)\]]*(?=\s+[\"“‘'«(\[A-Z0-9…]|\s*$)")
QUOTED_SENTENCE_END_RE = re.compile(r"[.!?…][\"”](?=\s+[\"“«A-Z])")
OPENING_MARKS = "“„«‘‚"
CLOSING_MARKS = "”»’"
DOUBLE_MARKS = '“”„«»"'
SINGLE_MARKS = "‘’‚'"
LEFT_FLANK = "([{—–-/:"
RIGHT_FLANK = ".,;:!?)]}—–-"
TERMINAL = ".!?…"
QUOTE_OPENERS = '“„«"'
SINGLE_OPENERS = "‘'"  # British style opens a quotation with a single mark
MAX_UNCLOSED_REACH = 1500  # an unclosed quotation mark never reaches further than this
UNFINISHED_PROSE_WORDS = 20  # a paragraph this long without final punctuation is prose, not a headline
UNFINISHED_QUOTE_WORDS = 8
MAX_SINGLE_QUOTED = 300  # single marks mostly wrap short terms; longer spans are apostrophes gone wrong


@dataclass
class Region:
    """A quoted passage: ``start:end`` inside the marks, ``outer_start:outer_end`` with them."""

    start: int
    end: int
    outer_start: int
    outer_end: int
    balanced: bool


@dataclass
class Paragraph:
    start: int
    end: int
    prose: bool
    regions: list[Region]
    sentences: list[tuple[int, int]]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _ends_prose(text: str, start: int, end: int) -> bool:
    """Prose ends with sentence punctuation (possibly inside a closing mark) or a colon that introduces the next
    paragraph ("X added:"); headlines, tags and links do not."""
    tail = text[max(start, end - 3) : end].rstrip("\"”’»')] ")
    return bool(tail) and tail[-1] in TERMINAL + ":"


def _unfinished_prose(text: str, start: int, end: int) -> bool:
    """A body paragraph whose final period went missing: longer than a headline, or a sentence that ends on a
    closing quotation mark ('She said the port was "safe and open"')."""
    words = len(text[start:end].split())
    return words >= UNFINISHED_PROSE_WORDS or (words >= UNFINISHED_QUOTE_WORDS and text[end - 1] in CLOSING_MARKS + '"')


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Line-based paragraphs, re-joining hard-wrapped lines (a line without final punctuation and a next line
    starting in lower case)."""
    lines = [m.span() for m in re.finditer(r"[^\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+", text)]
    lines = [strip_span(text, s, e) for s, e in lines]
    lines = [(s, e) for s, e in lines if e > s]
    merged: list[tuple[int, int]] = []
    for s, e in lines:
        if merged and not _ends_prose(text, *merged[-1]) and text[s].islower():
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _mark_role(text: str, i: int, start: int, end: int) -> str | None:
    """'open', 'close', 'either' or None (an apostrophe) for the quotation mark at ``i``."""
    ch = text[i]
    prev = text[i - 1] if i > start else " "
    nxt = text[i + 1] if i + 1 < end else " "
    if ch in SINGLE_MARKS and prev.isalnum() and nxt.isalnum():
        return None  # Turkey’s, don't
    left = prev.isspace() or prev in LEFT_FLANK
    right = nxt.isspace() or nxt in RIGHT_FLANK
    if left and not right:
        return "open"
    if right and not left:
        return "close"
    if ch in OPENING_MARKS:
        return "open"
    if ch in CLOSING_MARKS:
        return "close"
    return "either"


def _orphan_start(text: str, para_start: int, after: int, close: int) -> int | None:
    """Where a passage closed by a mark that was never opened began: the first sentence after the previous
    quotation (and its attribution), or the paragraph start."""
    if after > para_start:
        m = SENTENCE_END_RE.search(text, after, close)
        if not m:
            return None
        after = m.end()
    start, end = strip_span(text, after, close)
    return start if end > start and text[end - 1] in TERMINAL + "," else None


def find_regions(text: str, start: int, end: int) -> list[Region]:
    """Quoted passages in one paragraph. Double marks (straight, curly, guillemets) pair up in order; an unclosed
    mark reaches at most the paragraph end, and a closing mark with no opening one closes the passage since the
    previous quotation. Single marks count only when balanced and outside double-quoted passages."""
    regions: list[Region] = []
    open_at: int | None = None
    last_end = start
    marks = [i for i in range(start, end) if text[i] in DOUBLE_MARKS]
    for i in marks:
        role = _mark_role(text, i, start, end)
        if role == "either":
            role = "close" if open_at is not None or strip_span(text, i + 1, end)[0] >= end else "open"
        if role == "open":
            if open_at is not None:  # an unclosed passage ends where the next one opens
                _add_region(text, regions, open_at, open_at + 1, i, i, False)
            open_at = i
        elif open_at is not None:
            _add_region(text, regions, open_at, open_at + 1, i, i + 1, True)
            open_at = None
            last_end = i + 1
        else:
            orphan = _orphan_start(text, start, last_end, i)
            if orphan is not None:
                _add_region(text, regions, orphan, orphan, i, i + 1, False)
                last_end = i + 1
    if open_at is not None:
        reach = min(end, open_at + MAX_UNCLOSED_REACH)
        if reach < end:  # cut a runaway passage at its last sentence end within reach
            ends = list(SENTENCE_END_RE.finditer(text, open_at, reach))
            reach = ends[-1].end() if ends else open_at + 1
        _add_region(text, regions, open_at, open_at + 1, reach, reach, False)
    singles = _single_regions(text, start, end, regions)
    nested = {k for single in singles for k in regions_between(regions, single.outer_start, single.outer_end)}
    regions = [region for k, region in enumerate(regions) if k not in nested] + singles
    regions.sort(key=lambda r: r.outer_start)
    return regions


def _add_region(
    text: str, regions: list[Region], outer_start: int, start: int, end: int, outer_end: int, balanced: bool
) -> None:
    start, end = strip_span(text, start, end)
    if end > start:
        regions.append(Region(start, end, outer_start, outer_end, balanced))


def _single_regions(text: str, start: int, end: int, doubles: list[Region]) -> list[Region]:
    """Balanced single-quoted passages whose marks lie outside double-quoted ones. Only a single-quoted utterance
    (British style) may hold double-quoted passages, which are then nested quotations inside it."""
    found = []
    open_at = None
    for i in range(start, end):
        if text[i] not in SINGLE_MARKS or region_at(i, doubles):
            continue
        role = _mark_role(text, i, start, end)
        if role == "open" or (role == "either" and open_at is None):
            open_at = i
        elif role in ("close", "either") and open_at is not None:
            s, e = strip_span(text, open_at + 1, i)
            utterance = e > s and _is_utterance(text, s, e)
            nests = bool(regions_between(doubles, open_at, i))
            if (
                e > s
                and i - open_at <= (MAX_UNCLOSED_REACH if utterance else MAX_SINGLE_QUOTED)
                and (utterance or not nests)
            ):
                found.append(Region(s, e, open_at, i + 1, True))
            open_at = None
    return found


def _is_utterance(text: str, start: int, end: int) -> bool:
    """Shaped like quoted speech: a capital first and sentence punctuation (or a comma) last."""
    last = text[start:end].rstrip(CLOSING_MARKS + "\"'")
    return text[start].isupper() and bool(last) and last[-1] in TERMINAL + ","


def gaps(start: int, end: int, regions: list[Region]):
    for region in sorted(regions, key=lambda r: r.outer_start):
        if region.outer_start > start:
            yield start, region.outer_start
        start = max(start, region.outer_end)
    if end > start:
        yield start, end


def region_at(pos: int, regions: list[Region]) -> Region | None:
    """The quoted passage (sorted, non-overlapping ``regions``) that contains ``pos``."""
    k = bisect_right(regions, pos, key=lambda r: r.outer_start) - 1
    return regions[k] if k >= 0 and pos < regions[k].outer_end else None


def regions_between(regions: list[Region], start: int, end: int) -> range:
    """Indexes of the passages that open within ``start:end``."""
    return range(
        bisect_left(regions, start, key=lambda r: r.outer_start), bisect_left(regions, end, key=lambda r: r.outer_start)
    )


def is_abbreviation(text: str, dot: int, start: int) -> bool:
    word_start = dot
    while word_start > start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("(\"“‘'").lower()
    return len(word) == 1 and word.isalpha() or word in ABBREVIATIONS or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def _quotation_opens(text: str, dot: int) -> bool:
    """A quotation opening on a capital after the period at ``dot`` ('on Main St. "They ...'): it ends a sentence
    even after a one-word abbreviation, which never stands right before a quoted utterance (an acronym such as
    'the U.S. "Patriot" system' may)."""
    word = text[text.rfind(" ", 0, dot) + 1 : dot]
    return "." not in word and bool(re.match(r"\s+[“„«\"][A-Z]", text[dot + 1 : dot + 5]))


def split_sentences(text: str, start: int, end: int, regions: list[Region]) -> list[tuple[int, int]]:
    """Sentences of a paragraph; quoted passages are never split."""
    sentences = []
    sentence_start = start
    ends = [*SENTENCE_END_RE.finditer(text, start, end), *QUOTED_SENTENCE_END_RE.finditer(text, start, end)]
    for m in sorted(ends, key=lambda m: m.start()):
        region = region_at(m.start(), regions)
        if region is not None:
            # 'She said it was "a mistake." "We ...' ends the sentence at the closing mark of a passage quoted
            # mid-sentence; a passage's inner sentences never end one.
            if not (region.balanced and region.outer_end == m.end() and region.outer_start >= sentence_start):
                continue
        elif (
            text[m.start()] == "."
            and m.end() - m.start() == 1
            and is_abbreviation(text, m.start(), sentence_start)
            and not _quotation_opens(text, m.start())
        ):
            continue
        sentences.append((sentence_start, m.end()))
        sentence_start, _ = strip_span(text, m.end(), end)
    if sentence_start < end:
        sentences.append((sentence_start, end))
    return sentences


class Token(NamedTuple):
    """A whitespace-delimited word with its punctuation: ``text`` at ``start:end``."""

    start: int
    end: int
    text: str


def tokenize(text: str, start: int, end: int) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text, start, end)]


def typeset(text: str) -> str:
    """Typewriter quotation marks (``like this'') as curly ones, at the same offsets: "``" becomes a space and an
    opening mark, "''" a closing mark and a space."""
    if "``" not in text:
        return text
    return text.replace("``", " “").replace("''", "” ")


def squeeze(text: str, start: int, end: int, inner: tuple[int, int]) -> tuple[str, tuple[int, int]]:
    """``text[start:end]`` with each run of whitespace made one space, and where ``text[inner]`` falls in it (clipped
    to the window)."""
    parts, position, inner_start, inner_end = [], 0, None, 0
    for word in re.finditer(r"\S+", text[start:end]):
        word_start, word_end = start + word.start(), start + word.end()
        if inner_start is None and word_end > inner[0]:
            inner_start = position + max(0, inner[0] - word_start)
        if word_start < inner[1]:
            inner_end = position + min(word_end, inner[1]) - word_start
        parts.append(word.group())
        position += len(word.group()) + 1
    squeezed = " ".join(parts)
    if inner_start is None or inner_end <= inner_start:  # the quote is outside the window: all of it stands in
        return squeezed, (0, len(squeezed))
    return squeezed, (inner_start, inner_end)


@dataclass(frozen=True)
class Layout:
    """A document's paragraphs; only prose paragraphs (not headlines, tags, links) have passages and sentences."""

    text: str  # what the rules read: the document with typewriter quotation marks made curly, offsets unchanged
    paragraphs: tuple[Paragraph, ...]
    source: str = ""  # the document as given

    @classmethod
    def of(cls, source: str) -> Layout:
        text = typeset(source)
        paragraphs = []
        for number, (start, end) in enumerate(split_paragraphs(text)):
            prose = (_ends_prose(text, start, end) or number > 0 and _unfinished_prose(text, start, end)) and not (
                BOILERPLATE_RE.match(text, start)
            )
            regions = find_regions(text, start, end) if prose else []
            sentences = split_sentences(text, start, end, regions) if prose else []
            paragraphs.append(Paragraph(start, end, prose, regions, sentences))
        return cls(text, tuple(paragraphs), source)

    @property
    def sentence_starts(self) -> list[int]:
        return [start for para in self.paragraphs for start, _ in para.sentences]
