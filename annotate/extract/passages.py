"""Quoted passages as direct quotes: the cue after a passage ('"...," X said'), short scare quotes, passages that
stand alone, colon introductions ('X was blunt: "..."', "X added:" before a paragraph), transcript turns ("NAME: ...")
and embedded social media posts."""

from __future__ import annotations

import re
from bisect import bisect_right

from ..data import Quote, Span
from .clauses import Candidate, content_after
from .cues import AFTER_QUOTE_CUE_RE, cue_matches
from .layout import QUOTE_OPENERS, TERMINAL, Paragraph, Region, region_at, strip_span
from .lexicon import INVERTIBLE, SOURCE_PREPOSITIONS
from .mentions import identifiable, np_after, np_before, sentence_subject
from .rules import EMBEDDED_POST

EMBEDDED_POST_RE = re.compile(
    r"(?P<content>\S.*?)\s*(?:pic\.twitter\.com/\S+|https?://\S+)?\s*[—–-]{1,2}\s*"
    r"(?P<name>[^\s()—–-][^()\n]{0,60}?)\s*(?P<handle>\(@\w{1,15}\))\s+"
    r"(?:[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}|\d{1,2}\s+[A-Z][a-z]+\.?\s+\d{4})"
)
# "NAME:" or "MS NAME:" opening a transcript paragraph; Q (the questioner) and labels of the page are no speakers.
SPEAKER_LABEL_RE = re.compile(r"(?P<label>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})\s*:\s+(?=\S)")
NON_SPEAKER_LABELS = set(
    "Q QUESTION TRANSCRIPT NOTE UPDATE CORRECTION SOURCE PHOTO PICTURED WATCH BACKGROUND CONTEXT FACTBOX".split()
    + ["TIMELINE"]
    # the programme's own voice, which reads the news rather than being quoted in it
    + "PRESENTER ANCHOR HOST NEWSREADER REPORTER CORRESPONDENT INTERVIEWER MODERATOR NARRATOR VOICEOVER".split()
) | {"EDITOR'S NOTE", "EDITOR’S NOTE", "READ MORE"}
# A naming verb and what it names right before a quoted phrase: 'called the plan "', 'described it as "'.
# Not "so-called" (a scare quote) nor "called on / for" (an appeal, not a name).
CALLED_RE = re.compile(
    r"(?<!-)\b(?P<verb>call(?:s|ed|ing)?|describ(?:es|ed|ing|e)|dub(?:s|bed|bing)?|brand(?:s|ed|ing)?"
    r"|label(?:s|led|ed|ling|ing)?)\s+(?!(?:on|upon|for|off|up|in|back|out)\b)"
    r"(?:[^.;:!?\"“”‘’,]{1,50}?\s+)?(?:as\s+)?$",
    re.IGNORECASE,
)
CALLED_MIN_WORDS = 2
RELATIVE_SUBJECT_RE = re.compile(r"\b(?:that|which|whom)\s+(?:\S+\s+){0,2}\S+$", re.IGNORECASE)
# A broadcast script's marker before the speaker it plays ("CLIP - NAME, TITLE: ...").
CLIP_MARKER_RE = re.compile(r"(?:CLIP|SOUNDBITE|SOT|AUDIO|VIDEO|ACTUALITY)\s*[-–—:,]\s*")
CONJUNCTION_OPENING_RE = re.compile(r"^(?:And|But|So|Then|Yet)\s+")
# "'...,' the defence minister, X, said": a description before the name set off by commas.
SET_OFF_DESCRIPTION_RE = re.compile(r"[\s,]*(?:the|a|an|his|her|its|their|[A-Z][\w'’.-]*)\s[^.!?;:\"“”‘’]{0,80},\s*")
SCARE_QUOTE_WORDS = 3  # a quoted term this short without a speech cue is a scare quote, not a quotation
LEAD_IN_TAIL_WORDS = 6  # "X told reporters in Ankara on Tuesday:" still introduces the next paragraph


def direct_attribution(text: str, para: Paragraph, index: int) -> tuple[Span, tuple[int, int]] | None:
    """A cue right after a quoted passage: '"...," X said', '"..." he added', '"...," said X'."""
    region = para.regions[index]
    following = para.regions[index + 1].outer_start if index + 1 < len(para.regions) else para.end
    window_end = min(para.end, region.outer_end + 250, following)
    m = AFTER_QUOTE_CUE_RE.search(text, region.outer_end, window_end)
    if m is None or " ".join(m.group().lower().split()) in SOURCE_PREPOSITIONS:
        return None
    cue = Span(m.start(), m.end(), m.group())
    if not text[region.outer_end : m.start()].strip(" ,.\u00a0"):
        if m.group().lower() not in INVERTIBLE:
            return None
        mention = np_after(text, strip_span(text, m.end(), window_end)[0], window_end)
    elif text[region.end - 1] in TERMINAL and content_after(text, m.end(), window_end, m.group().lower()):
        return None  # '"We agreed." Smith said the talks ...': a new sentence's report, not the passage's
    else:
        mention = np_before(text, region.outer_end, m.start())
        # Only punctuation between the passage and the subject, or the description that the subject's name is
        # set off after ("'...,' the defence minister, X, told"); no sentence end outside the marks ('called it a
        # "provocation". Washington said ...' starts a new report).
        between = text[region.outer_end : mention[0]] if mention is not None else ""
        if re.search(r"\w|[.!?]", between) and not SET_OFF_DESCRIPTION_RE.fullmatch(between):
            return None
    return (cue, mention) if identifiable(text, mention) else None


def colon_introduction(text: str, para: Paragraph, region: Region) -> tuple[int, int] | None:
    """The source named before a colon that introduces a passage in its sentence: 'Deputy chairman X: "..."',
    'The minister was blunt: "..."', 'The ministry issued a statement: "..."'. The subject of the words before
    the colon, when they hold no cue of their own."""
    k = bisect_right(para.sentences, region.outer_start, key=lambda sentence: sentence[0]) - 1
    if k < 0:
        return None
    start, _ = para.sentences[k]
    before = text[start : region.outer_start].rstrip()
    if not before.endswith(":") or region_at(start, para.regions) is not None:
        return None
    start += len(before) - len(CONJUNCTION_OPENING_RE.sub("", before, count=1))
    marker = CLIP_MARKER_RE.match(text, start)
    start = marker.end() if marker else start
    if any(cue_matches(text, (start, region.outer_start), para.regions)):
        return None
    mention = sentence_subject(text, start, region.outer_start)
    return mention if identifiable(text, mention) else None


def speaker_turn(text: str, para: Paragraph) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """A transcript turn, 'NAME: what they said' (the label in capitals or a short name, not "Q"): the label's
    span and the turn's content."""
    m = SPEAKER_LABEL_RE.match(text, para.start, para.end)
    if m is None or m.group("label").rstrip(".").upper() in NON_SPEAKER_LABELS:
        return None
    label = m.group("label")
    if not (label.isupper() or identifiable(text, m.span("label"), strict=True)):
        return None
    content = strip_span(text, m.end(), para.end)
    if text[slice(*content)].isupper():  # "ANKARA: NOT NEGOTIABLE" heads a section of a round-up
        return None
    return m.span("label"), content


def called_by(text: str, para: Paragraph, region: Region) -> tuple[Span, tuple[int, int]] | None:
    """The naming verb right before a quoted phrase ('called the plan "..."', 'described it as "..."') and the
    verb's subject: the sentence's after "and" or a participle ('... and called it "..."', ', calling it "..."')."""
    k = bisect_right(para.sentences, region.outer_start, key=lambda sentence: sentence[0]) - 1
    if k < 0:
        return None
    start = para.sentences[k][0]
    m = CALLED_RE.search(text, max(start, region.outer_start - 80), region.outer_start)
    if m is None or region_at(m.start(), para.regions) is not None:
        return None
    phrase = text[region.start : region.end].split()
    # a nickname ('call the striker "The Rocket"') or a one-word term ('called the offer an "insult"') is no quote
    if len(phrase) < CALLED_MIN_WORDS or all(word[0].isupper() for word in phrase):
        return None
    verb = Span(m.start(), m.start() + len(m.group("verb")), m.group("verb"))
    lead = text[start : verb.start].rstrip()
    if RELATIVE_SUBJECT_RE.search(lead):  # "a move that unions described as ...": the writer's aside
        return None
    if lead.endswith(",") and verb.text.lower().endswith("ing") or lead.lower().endswith((" and", " but")):
        mention = sentence_subject(text, start, verb.start)
    else:
        mention = np_before(text, start, verb.start)
    return (verb, mention) if identifiable(text, mention) else None


def is_scare_quote(text: str, region: Region) -> bool:
    """A short quoted term; a short quoted sentence ('"Nobody listened."') is an utterance."""
    return len(text[region.start : region.end].split()) <= SCARE_QUOTE_WORDS and text[region.end - 1] not in TERMINAL


def stands_alone(text: str, para: Paragraph, region: Region) -> bool:
    """Nothing but punctuation around the passage in its sentence, or nothing after it and a colon before it
    ('he says — and then, after a pause: "..."')."""
    k = bisect_right(para.sentences, region.outer_start, key=lambda sentence: sentence[0]) - 1
    if k < 0:
        return False
    s, e = para.sentences[k]
    before = text[s : region.outer_start].rstrip()
    return not re.search(r"\w", text[region.outer_end : max(e, region.outer_end)]) and (
        before.endswith(":") or not re.search(r"\w", before)
    )


def opens_with_utterance(text: str, candidate: Candidate, region: Region) -> bool:
    """A clause that opens with a complete quoted utterance ('said, "We will see," before leaving') is that
    direct quote; a clause continuing after a quoted fragment ('insisted "sooner or later" Turkey would') is
    mixed."""
    if re.search(r"\w", text[candidate.start : region.outer_start]):
        return False
    after = text[region.outer_end : candidate.end + 1].lstrip()
    return not re.search(r"\w", after) or text[region.end - 1] in ",.!?" or after[:1] in ",.;"


def embedded_post(text: str, para: Paragraph) -> Quote | None:
    """A social media post embedded in the page, signed "— Name (@handle) Date": the post is the named
    author's direct quotation."""
    m = EMBEDDED_POST_RE.fullmatch(text, para.start, para.end)
    if m is None:
        return None
    handle = Span(m.start("handle"), m.end("handle"), m.group("handle"))
    return EMBEDDED_POST.quote(text, *m.span("content"), "direct", handle, m.span("name"))


def colon_lead_in(text: str, para: Paragraph) -> tuple[Span, tuple[int, int]] | None:
    """The cue and source of a paragraph that ends by introducing the next one ("Lindqvist added:", "She told
    reporters on Tuesday:")."""
    if text[para.end - 1] != ":" or not para.sentences:
        return None
    sentence = para.sentences[-1]
    cues = [m for m, _ in cue_matches(text, sentence, para.regions)]
    if not cues or len(text[cues[-1].end() : para.end - 1].split()) > LEAD_IN_TAIL_WORDS:
        return None
    last = cues[-1]
    mention = np_before(text, sentence[0], last.start())
    cue = Span(last.start(), last.end(), last.group())
    return (cue, mention) if identifiable(text, mention) else None


def quotation_continues(text: str, paragraphs: list[Paragraph], index: int) -> bool:
    """The paragraph ends inside an unclosed quotation and the next one re-opens it."""
    para = paragraphs[index]
    if not para.regions or para.regions[-1].balanced or para.regions[-1].outer_end < para.end:
        return False
    following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
    return following is not None and text[following.start] in QUOTE_OPENERS
