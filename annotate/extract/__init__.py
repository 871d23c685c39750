"""Extraction: quotes and their speakers, by named rules over the text's layout.

The stages follow citron (cue, source, content, coreference): ``layout`` (paragraphs, quoted passages,
sentences), ``lexicon`` (the word lists), ``mentions`` (source noun phrases), ``cues``, ``clauses`` (reported
clauses), ``passages`` (direct quotes), ``quotes`` (a document's quotes), ``speakers`` (canonical names), with
``rules`` naming what produced each quote.
"""

from __future__ import annotations

from ..data import Quote
from .layout import Layout
from .quotes import find_quotes
from .rules import RULES, Rule
from .speakers import attribute_speakers

__all__ = ["RULES", "Layout", "Rule", "extract"]


def extract(text: str, layout: Layout | None = None) -> list[Quote]:
    """Every quotation in ``text`` with its cue, speaker (mention and canonical name) and rule, in text order;
    ``layout`` is the text's, when the caller has computed it for a later stage too."""
    layout = layout or Layout.of(text)
    quotes = find_quotes(layout)
    attribute_speakers(layout, quotes)
    if layout.text != text:  # the rules read typeset quotation marks; the spans show the text as given
        for quote in quotes:
            for span in (quote, quote.cue, quote.speaker):
                if span is not None:
                    span.text = text[span.start : span.end]
    return quotes
