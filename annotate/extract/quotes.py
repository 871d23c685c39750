"""Quotes of a document, paragraph by paragraph: reported clauses (indirect, mixed, or direct when the clause is one
quoted passage), quoted passages attributed by a cue after them, and follow-on passages that continue the previous
speaker, including quotations that run over several paragraphs."""

from __future__ import annotations

import re

from ..data import Quote, Span
from .clauses import resolve_nesting, sentence_candidates, split_coordinated, trim_content
from .layout import Layout, Paragraph, regions_between
from .lexicon import SOURCE_PREPOSITIONS
from .mentions import identifiable
from .passages import (
    called_by,
    colon_introduction,
    colon_lead_in,
    direct_attribution,
    embedded_post,
    is_scare_quote,
    opens_with_utterance,
    quotation_continues,
    speaker_turn,
    stands_alone,
)
from .rules import (
    CALLED_QUOTE,
    COLON_INTRODUCTION,
    COLON_LEAD_IN,
    CUE_BEFORE_QUOTE,
    FOLLOW_ON,
    QUOTE_THEN_CUE,
    SPEAKER_TURN,
    speaker_at,
)

FLOATING_REACH = 3  # paragraphs over which a fully quoted paragraph inherits the previous speaker
MIN_TRANSCRIPT_TURNS = 2
MIN_REPEATED_CHARS = 40  # shorter repeated lines ("Q: Why?") are no repeated lead
INTERVIEWER_RE = re.compile(
    r"\b(?:presenter|host|interviewer|anchor|moderator|correspondent)\s+((?:[A-Z][\w'’-]+\s+){0,2}[A-Z][\w'’-]+)"
)
COURTESY_RE = re.compile(r"(?:Thank you|Thanks|Good (?:morning|afternoon|evening))\b[^.!?]{0,40}[.!]")
ANSWER_LABELS = {"A", "ANSWER"}  # the interviewee's turns, named in the introduction


def _paragraph_quotes(text: str, para: Paragraph, floating_allowed: bool) -> list[Quote]:
    """Quotes of one paragraph: reported clauses (direct when the clause is one quoted passage, mixed when it
    contains one), quoted passages attributed by a following cue, and cue-less quoted sentences that inherit
    the previous speaker when ``floating_allowed``."""
    candidates = [c for sentence in para.sentences for c in sentence_candidates(text, para, sentence)]
    candidates = [
        part
        for c in resolve_nesting(text, candidates)
        for part in split_coordinated(text, c, para.regions)
        if identifiable(text, c.mention, strict=" ".join(c.cue.text.lower().split()) in SOURCE_PREPOSITIONS)
    ]
    quotes: list[Quote] = []
    used: set[int] = set()
    first_end = min((c.end for c in candidates), default=para.end)  # floating quotes follow an attributed one
    for c in candidates:
        c.start, c.end = trim_content(text, c.start, c.end)
        inside = regions_between(para.regions, c.start, c.end)
        used.update(inside)
        if len(text[c.start : c.end].split()) < 3 and not inside:
            continue
        region = para.regions[inside[0]] if inside else None
        if region is not None and opens_with_utterance(text, c, region):
            quotes.append(
                CUE_BEFORE_QUOTE.quote(text, region.start, region.end, "direct", c.cue, c.mention, region.balanced)
            )
        else:
            quotes.append(c.rule.quote(text, c.start, c.end, "mixed" if inside else "indirect", c.cue, c.mention))
    for i, region in enumerate(para.regions):
        if i in used:
            continue
        attribution = direct_attribution(text, para, i)
        if attribution is not None:
            cue, mention = attribution
            quotes.append(QUOTE_THEN_CUE.quote(text, region.start, region.end, "direct", cue, mention, region.balanced))
            first_end = min(first_end, region.end)
        elif (named := called_by(text, para, region)) is not None:
            quotes.append(CALLED_QUOTE.quote(text, region.start, region.end, "direct", *named, region.balanced))
        elif not is_scare_quote(text, region) and stands_alone(text, para, region):
            introduced_by = colon_introduction(text, para, region)
            if introduced_by is not None:
                quotes.append(
                    COLON_INTRODUCTION.quote(
                        text, region.start, region.end, "direct", None, introduced_by, region.balanced
                    )
                )
            elif floating_allowed or first_end <= region.outer_start:
                quotes.append(FOLLOW_ON.quote(text, region.start, region.end, "direct", None, None, region.balanced))
    return sorted(quotes, key=lambda q: q.start)


def repeated_paragraphs(text: str, paragraphs: tuple[Paragraph, ...]) -> set[int]:
    """Paragraphs printed twice (a lead repeated as a header line, a pasted duplicate): the copy that comes first
    when the next paragraph opens with it, else the later copies."""
    words = [" ".join(text[para.start : para.end].split()) for para in paragraphs]
    seen: set[str] = set()
    repeated = set()
    for index, key in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if key in seen or (len(key) >= MIN_REPEATED_CHARS and following != key and following.startswith(key)):
            repeated.add(index)
        seen.add(key)
    return repeated


def transcript_turns(
    text: str, paragraphs: tuple[Paragraph, ...]
) -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    """The paragraphs that are a transcript's quoted turns (label span, content span), by paragraph index. A lone
    "Name: ..." line is a colon introduction, not a transcript; the interviewer (whose turns are mostly questions)
    and courtesies ("Thank you.") are not quoted."""
    turns = {index: turn for index, para in enumerate(paragraphs) if (turn := speaker_turn(text, para))}
    if len(turns) < MIN_TRANSCRIPT_TURNS:
        return {}
    asks: dict[str, list[bool]] = {}
    for label, content in turns.values():
        asks.setdefault(_speaker_key(text, label), []).append(text[content[1] - 1] == "?")
    interviewers = {label for label, questions in asks.items() if sum(questions) * 2 >= len(questions)}
    # "an interview between presenter James Calloway and ...": the introduction names the interviewer
    introduction = text[: min(label[0] for label, _ in turns.values())]
    interviewers |= {name.split()[-1].upper() for name in INTERVIEWER_RE.findall(introduction)}
    return {
        index: (label, content)
        for index, (label, content) in turns.items()
        if _speaker_key(text, label) not in interviewers and not COURTESY_RE.fullmatch(text, *content)
    }


def _speaker_key(text: str, label: tuple[int, int]) -> str:
    """One speaker under both of a transcript's labels ("JAMES CALLOWAY:", then "CALLOWAY:")."""
    return text[label[0] : label[1]].upper().split()[-1]


def find_quotes(layout: Layout) -> list[Quote]:
    """All quotations of a document in text order. Each carries its cue and, where the text gives one, the source
    mention as ``speaker`` (canonical names are filled in by ``speakers.attribute_speakers``). A quotation
    without a cue of its own (a follow-on quoted paragraph) has no speaker yet: it inherits the previous one,
    except the first paragraph of a multi-paragraph quotation, which takes the attribution found later in it."""
    text, paragraphs = layout.text, layout.paragraphs
    turns = transcript_turns(text, paragraphs)
    results: list[Quote] = []
    last_quoted: int | None = None
    continued: list[Quote] = []  # cue-less opening paragraphs of a quotation that goes on
    lead_in: tuple[Span, tuple[int, int]] | None = None  # "X added:" closing the previous paragraph
    repeated = repeated_paragraphs(text, paragraphs)
    for index, para in enumerate(paragraphs):
        if index in repeated:
            continue
        if index in turns:
            label, content = turns[index]
            mention = None if text[label[0] : label[1]].upper() in ANSWER_LABELS else label
            results.append(SPEAKER_TURN.quote(text, *content, "direct", None, mention))
            last_quoted, continued, lead_in = index, [], None
            continue
        if not para.prose:
            post = embedded_post(text, para)
            if post is not None:
                results.append(post)
            continue
        recent = last_quoted is not None and index - last_quoted <= FLOATING_REACH
        goes_on = quotation_continues(text, paragraphs, index)
        quotes = _paragraph_quotes(text, para, recent or bool(continued) or goes_on or lead_in is not None)
        if lead_in is not None and quotes and quotes[0].rule == FOLLOW_ON.name:
            region = next(r for r in para.regions if r.start == quotes[0].start)
            quotes[0] = COLON_LEAD_IN.quote(text, region.start, region.end, "direct", *lead_in, region.balanced)
        lead_in = colon_lead_in(text, para)
        if not quotes:
            continued = []
            continue
        last_quoted = index
        attributed = next((q for q in quotes if q.speaker), None)
        if attributed:
            for q in continued:
                q.speaker = speaker_at(text, (attributed.speaker.start, attributed.speaker.end))
            continued = []
        if quotes[-1].speaker is None and goes_on:
            continued.append(quotes[-1])
        elif not goes_on:  # the quotation ended without an attribution: its paragraphs inherit the previous one
            continued = []
        results.extend(quotes)
    return results
