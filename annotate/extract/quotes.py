"""Quotes of a document, paragraph by paragraph: reported clauses (indirect, mixed, or direct when the clause is one
quoted passage), quoted passages attributed by a cue after them, and follow-on passages that continue the previous
speaker, including quotations that run over several paragraphs."""

from __future__ import annotations

from ..data import Quote, Span
from .clauses import resolve_nesting, sentence_candidates, split_coordinated, trim_content
from .layout import Layout, Paragraph, regions_between
from .lexicon import SOURCE_PREPOSITIONS
from .mentions import identifiable
from .passages import (
    colon_lead_in,
    direct_attribution,
    embedded_post,
    is_scare_quote,
    opens_with_utterance,
    quotation_continues,
    stands_alone,
)
from .rules import COLON_LEAD_IN, CUE_BEFORE_QUOTE, FOLLOW_ON, QUOTE_THEN_CUE, speaker_at

FLOATING_REACH = 3  # paragraphs over which a fully quoted paragraph inherits the previous speaker


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
        elif (
            not is_scare_quote(text, region)
            and stands_alone(text, para, region)
            and (floating_allowed or first_end <= region.outer_start)
        ):
            quotes.append(FOLLOW_ON.quote(text, region.start, region.end, "direct", None, None, region.balanced))
    return sorted(quotes, key=lambda q: q.start)


def find_quotes(layout: Layout) -> list[Quote]:
    """All quotations of a document in text order. Each carries its cue and, where the text gives one, the source
    mention as ``speaker`` (canonical names are filled in by ``speakers.attribute_speakers``). A quotation
    without a cue of its own (a follow-on quoted paragraph) has no speaker yet: it inherits the previous one,
    except the first paragraph of a multi-paragraph quotation, which takes the attribution found later in it."""
    text, paragraphs = layout.text, layout.paragraphs
    results: list[Quote] = []
    last_quoted: int | None = None
    continued: list[Quote] = []  # cue-less opening paragraphs of a quotation that goes on
    lead_in: tuple[Span, tuple[int, int]] | None = None  # "X added:" closing the previous paragraph
    for index, para in enumerate(paragraphs):
        if not para.prose:
            post = embedded_post(text, para)
            if post is not None:
                results.append(post)
            continue
        recent = last_quoted is not None and index - last_quoted <= FLOATING_REACH
        goes_on = quotation_continues(text, paragraphs, index)
        quotes = _paragraph_quotes(text, para, recent or bool(continued) or goes_on or lead_in is not None)
        if lead_in is not None and quotes and quotes[0].cue is None:
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
