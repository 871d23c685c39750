"""Speech cues: reporting verbs and fixed phrases ("according to", "was quoted as saying") outside quotations, without
the uses that report nothing (passive, negated, infinitive, part of a name)."""

from __future__ import annotations

import re

from .layout import WORD_RE, Region, region_at
from .lexicon import AFTER_QUOTE_FORMS, BLOCKING_BEFORE, CUE_FORMS, PARTICIPLES, THAT_ONLY_FORMS, WH_CUE_FORMS
from .mentions import bare_word, is_capitalised, stands_before_cue

# A noun of saying after a light verb ("expressed hope that", "voiced concern that", "gave assurances that"):
# a cue with "that" after it.
NOMINAL_CUES = (
    r"(?:express|voic)(?:e|es|ed|ing)\s+(?:(?:the|his|her|their|its|some|deep|strong|grave)\s+)*"
    r"(?:hope|concern|confidence|belief|fear|regret|optimism|doubt|conviction|frustration)s?"
    r"|g(?:ave|ives|ive|iving)\s+(?:an?\s+)?assurances?|issu(?:ed|es|ing)\s+an?\s+warning"
)
NOMINAL_CUE_RE = re.compile(NOMINAL_CUES, re.IGNORECASE)


def _cue_re(words: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(
        r"\b(?:(?:was|were|is|are|has been|have been|had been)\s+(?:quoted|cited)"
        r"(?:\s+by\s+[^,.;:\n]{1,60}?)?\s+as\s+saying"
        r"|according\s+to|in\s+(?:his|her|their|its)\s+(?:view|opinion|words)"
        # "the agency quoted X as saying": X, named before the cue, is the source
        r"|(?<=\s)as\s+saying"
        # "..., per a White House readout": "per" is a cue only before a determined source after a comma
        r"|(?:(?<=,\s)|(?<=,[\"”]\s))per(?=\s+(?:a|an|the)\s)"
        r"|point(?:s|ed|ing)?\s+out|ma(?:de|kes|king)\s+(?:it\s+)?clear"
        rf"|{NOMINAL_CUES}"
        rf"|{alternatives})\b",
        re.IGNORECASE,
    )


CUE_RE = _cue_re(set(CUE_FORMS) | set(THAT_ONLY_FORMS) | set(PARTICIPLES) | WH_CUE_FORMS)
AFTER_QUOTE_CUE_RE = _cue_re(set(CUE_FORMS) | set(THAT_ONLY_FORMS) | set(PARTICIPLES) | set(AFTER_QUOTE_FORMS))


def cue_matches(text: str, sentence: tuple[int, int], regions: list[Region]):
    """Speech cues outside quotations that are not passive, negated, infinitive, nouns or part of a name ("the
    United States Congress")."""
    for m in CUE_RE.finditer(text, *sentence):
        if region_at(m.start(), regions):
            continue
        before = text[max(sentence[0], m.start() - 20) : m.start()].split()
        previous = before[-1].lower() if before else ""
        if (
            previous in BLOCKING_BEFORE
            or previous.endswith(("n't", "n’t", "'s", "’s"))  # "Editor's note:": a noun after a possessive
            or (m.group()[0].isupper() and before and is_capitalised(bare_word(before[-1])))
        ):
            continue
        yield m, " ".join(m.group().lower().split())


def word_before_cue(text: str, start: int, pos: int) -> tuple[str, int]:
    """The last word before a cue past adverbs and auxiliaries ("and has also said" -> "and"), and its start."""
    for m in reversed(list(WORD_RE.finditer(text, max(start, pos - 100), pos))):
        if not stands_before_cue(m.group()):
            return m.group().lower(), m.start()
    return "", pos
