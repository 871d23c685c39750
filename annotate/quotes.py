"""Rule-based quotation finder: direct (inside quotation marks), indirect (the reported clause of a speech cue)
and mixed (a reported clause containing a partial direct quotation).

Follows citron's split into cue / source / content: a speech cue ("said", "told", "according to", ...) anchors
both the content span and the source mention (the subject before the cue, or the noun phrase after an inverted
or "according to" cue). Turning mentions into canonical names (pronouns, descriptions, name variants) is
``speakers.py``'s job. Everything is regular expressions over bounded windows, so the cost is linear in the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

from .data import Quote, Span, Speaker

# ---------------------------------------------------------------- word lists (general English news usage)

CUE_FORMS = (
    "said says say told tells warned warns stressed stresses added adds insisted insists noted announced announces "
    "reiterated reiterates confirmed confirms repeated repeats explained explains argued argues asserted asserts "
    "stated declared declares emphasised emphasized emphasises emphasizes underlined underlines underscored "
    "underscores acknowledged acknowledges admitted admits alleged alleges complained complains indicated "
    "indicates disclosed revealed reveals maintained maintains predicted predicts conceded concedes cautioned "
    "cautions wrote writes tweeted tweets reported assured assures replied replies insist argue warn"
).split()
# Forms that are as often nouns or non-speech verbs: a cue only when followed by "that".
THAT_ONLY_FORMS = (
    "notes claims claimed states reports denied denies believes believed thinks fears feared hopes hoped "
    "estimated estimates suggested suggests agreed agrees recalled recalls observed observes responded responds "
    "answered answers claim stress note admit acknowledge informed informs reminded reminds"
).split() + ["put it"]  # 'As X put it, "..."'
# Attitudes, not utterances: "X said the alliance hoped ..." is X's report, the hope part of its content.
COGNITION_FORMS = set("believes believed thinks fears feared hopes hoped estimated estimates".split())
PARTICIPLES = (
    "saying adding telling warning stressing insisting noting claiming arguing explaining stating declaring "
    "emphasising emphasizing acknowledging admitting alleging complaining indicating reiterating confirming "
    "announcing repeating asserting underlining underscoring writing"
).split()
# With CUE_RE's fixed participial phrases ("..., pointing out that ...").
PARTICIPLE_CUES = set(PARTICIPLES) | {"pointing out", "making clear", "making it clear"}
# Cues whose listener sits between the cue and the clause ("informed TASS that ...").
TELL_FORMS = {"told", "tells", "tell", "telling", "informed", "informs", "reminded", "reminds"}
# Past participles that open an aside between a subject and its cue ("X, asked about the talks, said").
PARTICIPIAL_ASIDES = set("asked reached contacted interviewed pressed questioned briefed quoted".split())
# Cues that take a reported clause far more often than a noun object.
RELAXED_FORMS = TELL_FORMS | set("said says say saying added adds adding insisted insists argued argues".split())
# Inverted attribution (", said X.") only occurs with a few verbs.
INVERTIBLE = {"said", "says", "added", "adds", "warned", "insisted", "noted", "explained", "wrote", "asked", "stated",
              "declared", "replied", "argued", "stressed", "admitted", "recalled"}

PERSON_ROLES = set(
    "president minister secretary spokesman spokeswoman spokesperson official officials officer aide adviser "
    "advisor head chief leader envoy ambassador diplomat diplomats commander general director chairman chairwoman "
    "ceo executive lawmaker lawmakers senator congressman congresswoman analyst analysts expert experts prosecutor "
    "prosecutors judge governor mayor premier chancellor king queen prince representative representatives "
    "negotiator negotiators deputy counterpart manager founder professor researcher economist governments "
    "authorities spokespeople staff coach leaders lawyer lawyers attorney attorneys barrister solicitor captain "
    "player players politician politicians fellow".split()
)
ORG_ROLES = set(
    "ministry department agency government office administration embassy military army presidency company firm "
    "corporation group bank council committee commission parliament court police newspaper magazine broadcaster "
    "channel daily alliance bloc union organisation organization coalition party campaign website institute "
    "university foundation association federation navy cabinet regulator authority watchdog operator utility "
    "agency service station prosecutor's".split()
)
ROLE_WORDS = PERSON_ROLES | ORG_ROLES
# Heads that name no identifiable source ("according to sources", "local media reported").
UNIDENTIFIABLE = set(
    "source sources report reports media people observers some many others critics someone everyone everybody "
    "anyone nobody".split())
# Cues that name their source after them, as a preposition ("according to X", "per X").
SOURCE_PREPOSITIONS = {"according to", "per"}
# A restrictive modifier that ends an anonymous source ("according to an aide familiar with the talks").
SOURCE_MODIFIER_RE = re.compile(
    r"\s+(?:who\s|familiar\s+with|close\s+to|with\s+(?:direct\s+)?knowledge\s+of|briefed\s+on|involved\s+in"
    r"|speaking\s|asking\s)")
# Documents that speak for their authors.
DOCUMENT_SOURCES = set(
    "filing filings statement statements document documents survey poll study census readout readouts".split())
PRONOUNS = {"he", "she", "they", "it", "we", "i"}
# "In his view, ...": the possessive stands for its pronoun as the source.
POSSESSIVE_PRONOUNS = {"his": "he", "her": "she", "their": "they"}
DETERMINERS = {"the", "a", "an", "its", "his", "her", "their", "our"}
CONNECTORS = {"of", "for", "and", "&", "de", "van", "von", "bin", "al", "da", "del", "der", "le", "la"}
# Capitalised, these open a surname ("Van Hollen", "De Gaulle") rather than join two names.
NAME_PARTICLES = {w.capitalize() for w in CONNECTORS - {"of", "for", "and", "&"}}
# Arabic names keep their article in lower case inside a sentence ("Bashar al-Assad", "al-Sisi", "bin Salman"),
# and hasty copy lowers an elided particle ("Karen o'Malley", "d'Alema").
ARTICLE_SURNAME_RE = re.compile(r"(?:al|el|ad|an|ar|as|ash|at|az|bin|ibn|abu)-[A-Z]|[od]['’][A-Z]")
# A US party and state tag set off after a legislator's name ("Sen. Jim Risch, R-Idaho, said").
PARTY_TAG_RE = re.compile(r"[RDI]-[A-Z][\w.]*")
# A relative clause with no commas between its noun and the cue ("an official who worked on the file told").
RESTRICTIVE_RELATIVE_RE = re.compile(r"\s+who\s+[^\s,;:!?\"“”()][^,;:!?\"“”()]{0,120}$")
# "one of them said": a member of the group named before.
PARTITIVE_RE = re.compile(
    r"\b(?:one|two|three|some|several|many|most|all|none|each|both|neither|either)\s+of\s+(?:them|those)\s*$",
    re.IGNORECASE)
# Adverbs and auxiliaries allowed between a subject and its cue ("X has also said").
BEFORE_CUE = set(
    "also has have had long previously later earlier repeatedly again further then reportedly recently once would "
    "will did does do already separately publicly privately first subsequently still just even quickly "
    "immediately often".split()
)
# Words that turn a cue into a non-speech use (passive, negation, infinitive, noun).
BLOCKING_BEFORE = set("was were is are be been being not never to the an a declined refused".split())
# Capitalised words that start a clause but are no name ("In March, ...", "On Tuesday ...").
CAPITALISED_NON_NAMES = set(
    "On In At After Before During Meanwhile But And However Separately Also Last Earlier Later While When As "
    "Despite Since This That These Those Then Yet Still Now Today Yesterday Tonight Thus So If Although Though "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday It He She They We I There Here What Why How Where "
    "Who Read More Asked Speaking Following".split()
)
TIME_WORDS = set(
    "on in at during last this late early earlier later next yesterday today tonight recently previously "
    "afterwards after before when while as".split()
)
# Words that mark a clause as finite ("Turkey would ...", "the deal is ..."): reported speech, not an object.
FINITE_MARKERS = set(
    "is are was were will would could can may might should must shall has have had does do did am be "
    "isn't aren't wasn't weren't won't wouldn't couldn't can't cannot shouldn't hasn't haven't hadn't doesn't "
    "don't didn't rose fell grew won lost made took gave saw came went got kept left met paid put ran sent sold "
    "spent stood thought knew became began brought bought built chose cut drew drove fought found held hit led "
    "meant understood".split()
)
AUXILIARIES = set("is are was were will would could can may might should must shall has have had does do did".split())
SUBORDINATOR_RE = re.compile(r"\b(?:after|because|since|when|as|before|while|although|though|once)\s+")
PREPOSITIONS = set("to on at in by with from for of about after before during under over".split())
# Lower-case words that never sit inside a speaker's noun phrase.
FUNCTION_WORDS = set(
    "that which who whom whose what to in on at by with from as than if whether when while because but or nor so "
    "not no is are was were be been being has have had will would could can may might should must shall do does "
    "did said says told after before during since until into onto over under about against between through".split()
) | set(CUE_FORMS) | set(THAT_ONLY_FORMS) | set(PARTICIPLES)
ABBREVIATIONS = set(
    "mr mrs ms dr gen lt col maj capt cmdr adm sgt sen rep gov st jr sr prof rev vs etc inc ltd co corp no jan "
    "feb mar apr jun jul aug sep sept oct nov dec u.s u.n u.k e.u a.m p.m".split()
)

# Verbs that attribute a quotation that precedes them ('"Why?" he asked') but rarely introduce reported speech.
AFTER_QUOTE_FORMS = "asked asks shouted exclaimed quipped joked wondered".split()


def _cue_re(words: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(
        r"\b(?:(?:was|were|is|are|has been|have been|had been)\s+quoted(?:\s+by\s+[^,.;:\n]{1,60}?)?\s+as\s+saying"
        r"|according\s+to|in\s+(?:his|her|their)\s+(?:view|opinion)"
        # "..., per a White House readout": "per" is a cue only before a determined source after a comma
        r"|(?:(?<=,\s)|(?<=,[\"”]\s))per(?=\s+(?:a|an|the)\s)"
        r"|point(?:s|ed|ing)?\s+out|ma(?:de|kes|king)\s+(?:it\s+)?clear"
        rf"|{alternatives})\b",
        re.IGNORECASE,
    )


CUE_RE = _cue_re(set(CUE_FORMS) | set(THAT_ONLY_FORMS) | set(PARTICIPLES))
AFTER_QUOTE_CUE_RE = _cue_re(set(CUE_FORMS) | set(THAT_ONLY_FORMS) | set(PARTICIPLES) | set(AFTER_QUOTE_FORMS))
BOILERPLATE_RE = re.compile(
    r"(?:READ MORE|Read [Mm]ore|RELATED|Related(?: \w+)?|SEE ALSO|See [Aa]lso|ALSO READ|Also [Rr]ead|WATCH|Watch"
    r"|Tags?|Source|Photo|Image|Video|Listen|Subscribe|Follow us|Sign up|Click here)\s*[:|>»\-–—]"
    r"|(?:Reporting|Writing|Editing|Additional reporting|Compiled) by\b|Copyright\b|©|Advertisement\b",
    re.IGNORECASE,
)
DATELINE_RE = re.compile(r"[A-Z][^.!?\"“”\n]{0,80}?(?:\([^)\n]{1,50}\))?\s+[—–-]{1,2}\s+(?=[A-Z“\"])")
WORD_RE = re.compile(r"\S+")
EMBEDDED_POST_RE = re.compile(
    r"(?P<content>\S.*?)\s*(?:pic\.twitter\.com/\S+|https?://\S+)?\s*[—–-]{1,2}\s*"
    r"(?P<name>[^\s()—–-][^()\n]{0,60}?)\s*(?P<handle>\(@\w{1,15}\))\s+"
    r"(?:[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}|\d{1,2}\s+[A-Z][a-z]+\.?\s+\d{4})")
AGE_RE = re.compile(r"\d{1,3}-year-old")  # "the 64-year-old said": a description like "the minister"
SENTENCE_END_RE = re.compile(r"[.!?…]+[)\]]*(?=\s+[\"“‘'«(\[A-Z0-9…]|\s*$)")
QUOTED_SENTENCE_END_RE = re.compile(r"[.!?…][\"”](?=\s+[\"“«A-Z])")

_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
          r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
ADJUNCT_RE = re.compile(
    rf"""(?:(?:(?:late|early|earlier|later)\s+)?(?:on\s+)?(?:{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?
           |{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)
       |(?:last|this|next|earlier\s+this|later\s+this|earlier\s+last)\s+(?:week|month|year|weekend|morning
           |afternoon|evening|{_WEEKDAY}|{_MONTH})
       |(?:yesterday|today|tonight|earlier|later|recently|previously|again|also|separately|publicly|repeatedly)
       |(?:in|during)\s+(?:a|an|the|his|her|their|its)\s+(?:[\w-]+\s+){{0,2}}?(?:statement|interview|speech|address
           |post|tweet|letter|briefing|conference|report|message|video|note|comments?|remarks|meeting|column
           |op-ed|article|essay|book|blog|podcast)
           (?:\s+(?:with|to|on|at|by)\s+(?:the\s+)?[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*)?
       |at\s+(?:a|an|the)\s+(?:[\w-]+\s+){{0,2}}?(?:conference|briefing|summit|meeting|event|rally|ceremony|forum
           |time)
       |on\s+(?:Twitter|X|Facebook|Telegram|Instagram|television|TV|state\s+television|social\s+media)
       |in\s+{_MONTH}
    )\b,?\s*""",
    re.VERBOSE,
)
# A reported action coordinated after the report ("said A and urged B to act") is the speaker's, not content.
REPORTED_ACTIONS = "urged called asked vowed pledged promised demanded appealed gave declined refused".split()
CLAUSE_CUT_RE = re.compile(
    r",\s+(?:" + "|".join(c.replace(" ", r"\s+") for c in PARTICIPLE_CUES) + r"|according\s+to|while|whereas)\b"
    # the writer's comment on the report (", a move that analysts welcomed")
    r"|,\s+an?\s+\w+(?:\s+\w+)?\s+(?:that|which)\b|;|\s[—–]\s"
    r"|,?\s+(?:and|but)\s+(?:" + "|".join(REPORTED_ACTIONS) + r")\b", re.IGNORECASE
)
DANGLING_TAIL_RE = re.compile(r"(?:[,;]?\s+(?:and|but|while|whereas|or))+\s*$")

OPENING_MARKS = "“„«‘‚"
CLOSING_MARKS = "”»’"
DOUBLE_MARKS = "“”„«»\""
SINGLE_MARKS = "‘’‚'"
LEFT_FLANK = "([{—–-/:"
RIGHT_FLANK = ".,;:!?)]}—–-"
TERMINAL = ".!?…"
QUOTE_OPENERS = "“„«\""
MAX_UNCLOSED_REACH = 1500  # an unclosed quotation mark never reaches further than this
MAX_SINGLE_QUOTED = 300  # single marks mostly wrap short terms; longer spans are apostrophes gone wrong
SCARE_QUOTE_WORDS = 3  # a quoted term this short without a speech cue is a scare quote, not a quotation
MAX_CLAUSE = 1000  # a reported clause is at most this long (bounds the work on text without sentence ends)
MAX_APPOSITIVE_TOKENS = 30  # "X, who had been booed by ... in the first half, said" still fits
LEAD_IN_TAIL_WORDS = 6  # "X told reporters in Ankara on Tuesday:" still introduces the next paragraph
FLOATING_REACH = 3  # paragraphs over which a fully quoted paragraph inherits the previous speaker


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


@dataclass
class Candidate:
    """A reported clause ``start:end`` with its cue and source mention, before quoted passages are merged in."""

    start: int
    end: int
    cue: Span
    mention: tuple[int, int]
    score: float
    forward: bool = True  # the clause follows its cue (else it precedes it: a trailing attribution)


# ---------------------------------------------------------------- layout: paragraphs, quoted regions, sentences


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
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


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Line-based paragraphs, re-joining hard-wrapped lines (a line without final punctuation and a next line
    starting in lower case)."""
    lines = [m.span() for m in re.finditer(r"[^\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+", text)]
    lines = [_strip(text, s, e) for s, e in lines]
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
    start, end = _strip(text, after, close)
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
            role = "close" if open_at is not None or _strip(text, i + 1, end)[0] >= end else "open"
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
    nested = {k for single in singles for k in _regions_between(regions, single.outer_start, single.outer_end)}
    regions = [region for k, region in enumerate(regions) if k not in nested] + singles
    regions.sort(key=lambda r: r.outer_start)
    return regions


def _add_region(text: str, regions: list[Region], outer_start: int, start: int, end: int, outer_end: int,
                balanced: bool) -> None:
    start, end = _strip(text, start, end)
    if end > start:
        regions.append(Region(start, end, outer_start, outer_end, balanced))


def _single_regions(text: str, start: int, end: int, doubles: list[Region]) -> list[Region]:
    """Balanced single-quoted passages whose marks lie outside double-quoted ones. Only a single-quoted utterance
    (British style) may hold double-quoted passages, which are then nested quotations inside it."""
    found = []
    open_at = None
    for i in range(start, end):
        if text[i] not in SINGLE_MARKS or _inside(i, doubles):
            continue
        role = _mark_role(text, i, start, end)
        if role == "open" or (role == "either" and open_at is None):
            open_at = i
        elif role in ("close", "either") and open_at is not None:
            s, e = _strip(text, open_at + 1, i)
            utterance = e > s and _is_utterance(text, s, e)
            nests = bool(_regions_between(doubles, open_at, i))
            if e > s and i - open_at <= (MAX_UNCLOSED_REACH if utterance else MAX_SINGLE_QUOTED) and (
                    utterance or not nests):
                found.append(Region(s, e, open_at, i + 1, True))
            open_at = None
    return found


def _is_utterance(text: str, start: int, end: int) -> bool:
    """Shaped like quoted speech: a capital first and sentence punctuation (or a comma) last."""
    last = text[start:end].rstrip(CLOSING_MARKS + "\"'")
    return text[start].isupper() and bool(last) and last[-1] in TERMINAL + ","


def _gaps(start: int, end: int, regions: list[Region]):
    for region in sorted(regions, key=lambda r: r.outer_start):
        if region.outer_start > start:
            yield start, region.outer_start
        start = max(start, region.outer_end)
    if end > start:
        yield start, end


def _inside(pos: int, regions: list[Region]) -> Region | None:
    """The quoted passage (sorted, non-overlapping ``regions``) that contains ``pos``."""
    k = bisect_right(regions, pos, key=lambda r: r.outer_start) - 1
    return regions[k] if k >= 0 and pos < regions[k].outer_end else None


def _regions_between(regions: list[Region], start: int, end: int) -> range:
    """Indexes of the passages that open within ``start:end``."""
    return range(bisect_left(regions, start, key=lambda r: r.outer_start),
                 bisect_left(regions, end, key=lambda r: r.outer_start))


def _is_abbreviation(text: str, dot: int, start: int) -> bool:
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
        region = _inside(m.start(), regions)
        if region is not None:
            # 'She said it was "a mistake." "We ...' ends the sentence at the closing mark of a passage quoted
            # mid-sentence; a passage's inner sentences never end one.
            if not (region.balanced and region.outer_end == m.end() and region.outer_start > sentence_start):
                continue
        elif text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(
                text, m.start(), sentence_start) and not _quotation_opens(text, m.start()):
            continue
        sentences.append((sentence_start, m.end()))
        sentence_start, _ = _strip(text, m.end(), end)
    if sentence_start < end:
        sentences.append((sentence_start, end))
    return sentences


@lru_cache(maxsize=4)  # quotes and speakers both read the layout of the same text
def layout(text: str) -> tuple[Paragraph, ...]:
    paragraphs = []
    for start, end in split_paragraphs(text):
        prose = _ends_prose(text, start, end) and not BOILERPLATE_RE.match(text, start)
        regions = find_regions(text, start, end) if prose else []
        sentences = split_sentences(text, start, end, regions) if prose else []
        paragraphs.append(Paragraph(start, end, prose, regions, sentences))
    return tuple(paragraphs)


# ---------------------------------------------------------------- noun phrases around a cue


def _bare(word: str) -> str:
    """A word without surrounding punctuation or possessive; a final period stays on abbreviations ("U.S.")."""
    word = word.strip("\"“”‘’'«»()[]{},;:!?").removesuffix("’s").removesuffix("'s")
    if word.endswith(".") and not re.fullmatch(r"(?:[A-Za-z]\.)+", word) and word[:-1].lower() not in ABBREVIATIONS:
        word = word.rstrip(".")
    return word


def _is_capitalised(word: str) -> bool:
    """A name-like word: capitalised, a surname behind a lower-case Arabic article ("al-Assad") or a code such
    as "G7"/"3M" (not an ordinal or a number)."""
    return bool(word) and (word[0].isupper() or bool(ARTICLE_SURNAME_RE.match(word))
                           or (word[0].isdigit() and any(c.isupper() for c in word)))


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text, start, end)]


def _np_kind(word: str) -> str | None:
    bare = _bare(word.rstrip("."))
    low = bare.lower()
    if not bare:
        return None
    if low in PRONOUNS:
        return "pron"
    if low in DETERMINERS:
        return "det"
    if low in CONNECTORS and bare not in NAME_PARTICLES:
        return "conn"
    if _is_role(low) or low in UNIDENTIFIABLE or AGE_RE.fullmatch(low):
        return "role"
    if _is_capitalised(bare):
        return None if bare in CAPITALISED_NON_NAMES else "cap"
    if bare.replace("-", "").isalpha() and low not in FUNCTION_WORDS:
        return "adj"
    return None


def identifiable(text: str, span: tuple[int, int] | None, strict: bool = False) -> bool:
    """A mention that names a source: a pronoun, a name, a role ("officials", "the minister") or, unless
    ``strict`` (after "according to", where "the plan" or "the data" are no speakers), any definite
    description ("the coach said")."""
    if span is None:
        return False
    words = [_bare(w) for w in text[span[0] : span[1]].split()]
    if not words or words[-1].lower() in UNIDENTIFIABLE:
        return False
    if (len(words) == 1 and words[0].lower() in PRONOUNS | POSSESSIVE_PRONOUNS.keys()) or PARTITIVE_RE.match(
            text, span[0], span[1]):
        return True
    head = words[-1].lower()
    if any(_is_capitalised(w) and w.lower() not in DETERMINERS for w in words) or _is_role(head):
        return True
    if head in DOCUMENT_SOURCES:  # "according to a regulatory filing"
        return True
    return not strict and len(words) > 1 and words[0].lower() in DETERMINERS


def _is_role(word: str) -> bool:
    """A lower-case role word, also plural ("commanders") or prefixed ("co-president", "vice-chair")."""
    word = word.rpartition("-")[2]
    return word in ROLE_WORDS or word.removesuffix("s") in ROLE_WORDS


def np_before(text: str, lo: int, pos: int) -> tuple[int, int] | None:
    """The subject noun phrase that ends right before ``pos`` (a cue), past adverbs/auxiliaries ("X has also
    said") and an appositive ("Sergey Ivanov, head of X, said"). Lower-case modifiers are kept only where the
    phrase is bounded by punctuation or a determiner ("..., local media reported"; "the foreign minister")."""
    tokens = _tokens(text, max(lo, pos - 400), pos)
    i = len(tokens) - 1
    while i >= 0 and tokens[i][2].lower() in BEFORE_CUE:
        i -= 1
    partitive = PARTITIVE_RE.search(text, max(lo, pos - 40), tokens[i][1]) if i >= 0 else None
    if partitive:
        return partitive.start(), partitive.end()
    relative = RESTRICTIVE_RELATIVE_RE.search(text, max(lo, pos - 150), pos)
    if relative:  # "an official who asked not to be named said": the noun before "who"
        return np_before(text, lo, relative.start())
    if i >= 1 and tokens[i][2] in CAPITALISED_NON_NAMES and tokens[i - 1][2].lower() == "on":
        i -= 2  # "X on Tuesday said"
        while i >= 0 and tokens[i][2].lower() in BEFORE_CUE:
            i -= 1
    if i >= 1 and re.fullmatch(r"\d{1,3}", tokens[i][2]) and tokens[i - 1][2].endswith(","):
        i -= 1  # "Ray Schultz, 72 said": an age whose closing comma went missing
    elif i >= 0 and tokens[i][2].endswith(","):
        i = _skip_appositive(tokens, i)
    elif i >= 1 and _party_tag_in_parentheses(tokens[i][2]):  # "Rep. X (D-N.Y.) said": X, not the tag
        i -= 1
    if i is None or i < 0 or tokens[i][2][-1] in CLOSING_MARKS + "\"'":  # '"...," said X': no subject before
        return None
    words: list[tuple[int, int, str]] = []  # right to left
    bounded = pos - 400 <= lo  # running out of words at the clause start bounds the phrase too
    for j in range(i, -1, -1):
        start, _, raw = tokens[j]
        if j < i and (re.search(r"[,;:!?\"”’»)\]—–-]$", raw) or _ends_sentence(raw)):
            bounded = True
            break
        lead = len(raw) - len(raw.lstrip("\"“‘«([—–"))
        core = raw[lead:].rstrip(",;:") if j == i else raw[lead:]
        kind = _np_kind(core)
        if kind == "pron":
            return (start + lead, start + lead + len(core)) if j == i else None
        if kind is None:
            bounded = False
            break
        words.append((start + lead, start + lead + len(core), kind))
        before = j - 1  # the word before the phrase
        if lead or (kind == "det" and not (j >= 1 and _np_kind(tokens[j - 1][2]) == "conn")):
            bounded = True
            break
    if words and before >= 1 and tokens[before][2].lower() in PREPOSITIONS:
        holder = before - 2 if tokens[before - 1][2].lower() == "close" else before - 1
        if _bare(tokens[before - 1][2]).lower() in UNIDENTIFIABLE:
            return None  # "some in Ankara argue": the source is "some", whoever they are
        if holder >= 0 and tokens[holder][2].islower() and _bare(tokens[holder][2]).removesuffix("s") in PERSON_ROLES:
            # "an official in Ankara said", "an aide close to the president said": the person, not the place
            return np_before(text, lo, tokens[holder][1])
    words.reverse()
    first = 0
    while first < len(words) and (words[first][2] == "conn" or (words[first][2] == "adj" and not bounded)):
        first += 1
    last = len(words)
    while last > first and words[last - 1][2] not in ("cap", "role", "adj" if words[first][2] == "det" else "role"):
        last -= 1
    return (words[first][0], words[last - 1][1]) if last > first else None


def _ends_sentence(word: str) -> bool:
    return word.endswith(".") and _bare(word).lower().rstrip(".") not in ABBREVIATIONS and not re.fullmatch(
        r"(?:[A-Z]\.)+", word)


def _skip_appositive(tokens: list[tuple[int, int, str]], comma: int) -> int | None:
    """Index of the token that ends the subject before a cue preceded by a comma: the name before an appositive
    ("X, a spokesman for Y, said" -> X), or a name set off after its description ("the prime minister, X,
    said" -> X). None when the comma ends something else (a trailing attribution's content)."""
    for j in range(comma - 1, max(-1, comma - MAX_APPOSITIVE_TOKENS), -1):
        if tokens[j][2].endswith(","):
            segment = [_bare(w) for _, _, w in tokens[j + 1 : comma + 1]]
            first = segment[0].lower()
            name = _bare(tokens[j][2])
            # "the prime minister, X, said" / "Russia's ambassador to Turkey, X, said": the name is the subject.
            description = [_bare(w).lower() for _, _, w in tokens[max(0, j - 3) : j + 1]]
            capitalised_segment = all(_is_capitalised(w) or w.lower() in CONNECTORS for w in segment)
            if capitalised_segment and any(w in ROLE_WORDS for w in description):
                return comma
            looks_appositive = first in DETERMINERS or first in ROLE_WORDS or first in ("who", "whose", "which") or (
                PARTY_TAG_RE.fullmatch(segment[0]) or
                first.isdigit() or first.capitalize() in TITLE_WORDS
                or any(w.lower().rpartition("-")[2] in PERSON_ROLES for w in segment[:3])
                or _participial_aside(segment) or segment[1:2] and segment[1].lower() in DETERMINERS)
            # "Jane Doe, 45, a nurse, said", "X, D-Md., a co-sponsor, said", "X, head of Y (SSB), which ..., said"
            if looks_appositive and (name.isdigit() or PARTY_TAG_RE.fullmatch(name) or tokens[j][2].startswith("(")):
                outer = _skip_appositive(tokens, j)
                # "Sen. X (R-Idaho), chair of Y, said": no comma before a party tag in parentheses
                return j - 1 if outer is None and _party_tag_in_parentheses(tokens[j][2]) else outer
            if looks_appositive and _np_kind(name) in ("cap", "role"):
                return j
            if not looks_appositive and capitalised_segment and _is_capitalised(name):
                continue  # a list inside a name ("the Health, Labor and Pensions Committee")
            return None
        if re.search(r"[;:.!?]$", tokens[j][2]):
            return None
    return None


def _party_tag_in_parentheses(word: str) -> bool:
    return word.startswith("(") and word.rstrip(",").endswith(")") and bool(PARTY_TAG_RE.fullmatch(_bare(word)))


def _participial_aside(words: list[str]) -> bool:
    """ "speaking on condition of anonymity", "asked about the talks", "reached by phone": set off between a
    subject and its cue."""
    first = words[0].lower()
    second = words[1].lower() if len(words) > 1 else ""
    return first in PARTICIPLES or first in PARTICIPIAL_ASIDES or (
        # "X, prosecuting, told the court"
        first.endswith("ing") and (not second or second in PREPOSITIONS or second in DETERMINERS))


def np_after(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """The noun phrase that starts at ``pos`` (after an inverted cue or "according to")."""
    tokens = _tokens(text, pos, min(end, pos + 300))
    collected = []
    for index, (s, e, raw) in enumerate(tokens):
        kind = _np_kind(raw)
        if index == 0 and _bare(raw).lower() in PRONOUNS:
            return s, s + len(raw.rstrip(",.;:!?"))
        if kind is None or (kind == "det" and index > 0 and _np_kind(tokens[index - 1][2]) != "conn"):
            break
        stop = re.search(r"[,;:!?\"”’»)\]]$", raw) or (raw.endswith(".") and _bare(raw).lower().rstrip(".")
                                                        not in ABBREVIATIONS)
        collected.append((s, e - (len(raw) - len(raw.rstrip(",;:.!?\"”’»)]"))), raw))
        if stop:
            break
    head_kinds = ("cap", "role", "adj") if collected and _np_kind(collected[0][2]) == "det" else ("cap", "role")
    while collected and _np_kind(collected[-1][2]) not in head_kinds:
        collected.pop()
    if not collected:
        return None
    return collected[0][0], collected[-1][1]


# ---------------------------------------------------------------- the reported clause


def _skip_tell_object(text: str, pos: int, end: int) -> int:
    """Past the listener of "told": a name ("told Reuters", "told the BBC") or a short lower-case noun phrase
    ("told reporters", "told the team")."""
    tokens = _tokens(text, pos, min(end, pos + 200))
    k = 1 if tokens and _np_kind(tokens[0][2]) == "det" else 0
    kinds = ("cap",) if k < len(tokens) and _np_kind(tokens[k][2]) == "cap" else ("adj", "role")
    object_end = pos
    while k < len(tokens) and _np_kind(tokens[k][2]) in kinds:
        object_end = tokens[k][1]
        if re.search(r"[,;:]$", tokens[k][2]):
            return object_end - 1
        k += 1
    return object_end


def _that_within(text: str, pos: int, end: int, allow_object: bool) -> int | None:
    """End of "that" when only an adjunct ("on Tuesday", "in a statement") or, for "told", an object separates
    it from the cue."""
    tokens = _tokens(text, pos, min(end, pos + 160))
    for k, (_, e, raw) in enumerate(tokens[:14]):
        if raw.lower() in PARTICIPLES:  # "told a news conference, adding that ...": the participle's clause
            return None
        if raw.lower() == "that":
            # "agreed on X and that ...": a second clause coordinated into an earlier report, not this cue's
            if k > 0 and tokens[k - 1][2].lower() in ("and", "but", "or"):
                return None
            if k == 0 or allow_object or tokens[0][2].lower() in TIME_WORDS:
                return e
            return None
        if re.search(r"[;:\"“”«»]", raw) or (raw.endswith(",") and not allow_object):
            return None
    return None


def _is_finite_clause(text: str, start: int, end: int, relaxed: bool) -> bool:
    """A reported clause (not a bare object): an auxiliary, a negated or past-tense verb, or a pronoun subject
    in its first words. ``relaxed`` (after say/tell, which rarely take a noun object) also accepts a present
    tense verb after a noun ("Turkey wants ...", "demand remains ...")."""
    words = [_bare(w).lower() for w in text[start:end].split()[:15]]
    if not words:
        return False
    if words[0] in PRONOUNS | {"there", "you"}:
        return True
    for k, word in enumerate(words):
        if word in FINITE_MARKERS or word.endswith(("n't", "n’t")) or (k > 0 and len(word) > 4 and word.endswith("ed")):
            return True
        if relaxed and 0 < k < 6 and len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")) \
                and words[k - 1] not in DETERMINERS and words[k - 1] not in FUNCTION_WORDS:
            return True
    return False


def _skip_adjuncts(text: str, pos: int, end: int) -> int:
    """Past time and manner adjuncts after a cue ("said on Tuesday", "told Reuters in an interview")."""
    for _ in range(3):
        m = ADJUNCT_RE.match(text, pos, end)
        if not m:
            break
        pos = m.end()
    return pos


def _content_after(text: str, cue_end: int, sentence_end: int, verb: str) -> tuple[int, bool] | None:
    """Start of the reported clause after a cue, and whether "that", a colon or a quotation mark introduced it."""
    pos = _strip(text, cue_end, sentence_end)[0]
    if pos >= sentence_end:
        return None
    if text[pos] in ":,":
        after = _strip(text, pos + 1, sentence_end)[0]
        if after < sentence_end and (text[pos] == ":" or text[after] in QUOTE_OPENERS):
            return after, True
        return None
    that = _that_within(text, pos, sentence_end, verb in TELL_FORMS)
    if that is not None:
        return _strip(text, that, sentence_end)[0], True
    if verb in TELL_FORMS:
        pos = _strip(text, _skip_tell_object(text, pos, sentence_end), sentence_end)[0]
    adjuncts_start = pos
    pos = _skip_adjuncts(text, pos, sentence_end)
    # After "said on Tuesday," only a quotation goes on the report; anything else is an adverbial tail
    # ("..., X said on Tuesday, despite warnings ...") and the content is before the cue.
    set_off = "," in text[adjuncts_start:pos]
    if set_off and text[pos] not in QUOTE_OPENERS:
        return None
    if not re.search(r"\w", text[pos:sentence_end]) or text[pos] in ",;:—–-":
        if pos < sentence_end and text[pos] in ":,":  # "told reporters: ..."
            return _content_after(text, pos, sentence_end, "said")
        return None
    if text[pos] in QUOTE_OPENERS:
        return pos, True
    if text[pos : pos + 5].lower() == "that " :
        return _strip(text, pos + 4, sentence_end)[0], True
    first = _bare(text[pos:sentence_end].split(maxsplit=1)[0]).lower()
    # "said no missiles were fired" is a report; "said no to the plan" fails the finite-clause test later.
    if first in FUNCTION_WORDS - {"no"} or first in TIME_WORDS or first in CONNECTORS:
        return None
    return pos, False


def _cut_point(text: str, start: int, end: int, regions: list[Region]) -> int:
    """Where a reported clause stops before its sentence ends: a follow-up participle (", adding ..."), a
    trailing "according to", a semicolon or a dash aside."""
    for m in CLAUSE_CUT_RE.finditer(text, start, end):
        if not _inside(m.start(), regions):
            return m.start()
    return end


def _trim_content(text: str, start: int, end: int) -> tuple[int, int]:
    """Without surrounding space, final punctuation outside quotation marks or a dangling conjunction."""
    while True:
        start, end = _strip(text, start, end)
        tail = DANGLING_TAIL_RE.search(text, start, end)
        if tail and tail.start() > start:
            end = tail.start()
        elif end > start and text[end - 1] in ".,;:" and not _is_abbreviation(text, end - 1, start):
            end -= 1
        else:
            return start, end


# ---------------------------------------------------------------- cues -> candidate clauses


def _cue_matches(text: str, sentence: tuple[int, int], regions: list[Region]):
    """Speech cues outside quotations that are not passive, negated, infinitive, nouns or part of a name ("the
    United States Congress")."""
    for m in CUE_RE.finditer(text, *sentence):
        if _inside(m.start(), regions):
            continue
        before = text[max(sentence[0], m.start() - 20) : m.start()].split()
        previous = before[-1].lower() if before else ""
        if previous in BLOCKING_BEFORE or previous.endswith(("n't", "n’t")) or (
                m.group()[0].isupper() and before and _is_capitalised(_bare(before[-1]))):
            continue
        yield m, " ".join(m.group().lower().split())


def _subject(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The subject of a sentence, after a leading adverbial ("In March, X ...")."""
    head = text[start : min(end, start + 80)]
    comma = head.find(",")
    first = head.split(maxsplit=1)[0] if head.strip() else ""
    if 0 < comma < 60 and (_bare(first) in CAPITALISED_NON_NAMES or first.lower() in TIME_WORDS):
        start = _strip(text, start + comma + 1, end)[0]
    return np_after(text, start, end)


def _clause_start(text: str, para: Paragraph, sentence: tuple[int, int]) -> int:
    """Sentence start, past a dateline ("ANKARA (Reuters) - ") at the start of a paragraph."""
    dateline = DATELINE_RE.match(text, *sentence) if sentence[0] == para.start else None
    return dateline.end() if dateline else sentence[0]


def _sentence_candidates(text: str, para: Paragraph, sentence: tuple[int, int]) -> list[Candidate]:
    found: list[Candidate] = []
    s_start, s_end = sentence
    clause_start = _clause_start(text, para, sentence)
    last_mention: tuple[int, int] | None = None
    for m, verb in _cue_matches(text, sentence, para.regions):
        cue = Span(m.start(), m.end(), m.group())
        lead = text[s_start : m.start()].rstrip()
        if verb in SOURCE_PREPOSITIONS:
            found.extend(_according_to(text, para, clause_start, s_end, cue))
            continue
        if verb.startswith("in "):
            found.extend(_in_view(text, para, clause_start, s_end, cue))
            continue
        word, word_start = _word_before_cue(text, s_start, m.start())
        if word in ("and", "but"):  # "X said A but warned that B", "X criticised the plan and said B"
            mention = last_mention or _subject(text, clause_start, s_end)
        elif word == "who":  # "the ambassador, X, who told reporters that ..."
            mention = np_before(text, s_start, word_start)
        else:
            mention = None if lead.endswith(",") and verb in PARTICIPLE_CUES else np_before(text, s_start, m.start())
        if verb in PARTICIPLE_CUES:  # "..., after the airline cut its forecast, saying B": that clause's subject
            mention = (mention or last_mention or _subordinate_subject(text, clause_start, m.start())
                       or _subject(text, clause_start, s_end))
        if verb in COGNITION_FORMS and mention and found and found[-1].forward and found[-1].start == mention[0]:
            continue  # "X said the alliance hoped ...": the hope is part of X's report, its holder no source
        if mention is None:
            if verb in INVERTIBLE and lead.endswith(","):  # "CONTENT, said X."
                mention = np_after(text, _strip(text, m.end(), s_end)[0], s_end)
                rest = text[mention[1] : s_end].strip(" .!?") if mention else "x"
                if mention and (not rest or rest.startswith(",")):
                    found.extend(_before_cue(text, clause_start, len(lead) + s_start - 1, cue, mention, 0.8))
            continue
        last_mention = mention
        after = _content_after(text, m.end(), min(s_end, m.end() + MAX_CLAUSE), verb)
        if after is not None:
            start, introduced = after
            if verb in THAT_ONLY_FORMS and not introduced and not _starts_with_finite_verb_phrase(text, start):
                continue
            start, end = _trim_content(text, start, _cut_point(text, start, min(s_end, start + MAX_CLAUSE),
                                                               para.regions))
            # after a coordinated cue ("... and had added shifts"), the verb is as often an ordinary one
            relaxed = verb in RELAXED_FORMS and word not in ("and", "but")
            if end <= start or (not introduced and not _is_finite_clause(text, start, end, relaxed)):
                continue
            found.append(Candidate(start, end, cue, mention, 0.8 if introduced else 0.7))
            continue
        # No clause after the cue: a trailing attribution ("CONTENT, X said on Tuesday.") when a comma sits
        # right before the subject.
        comma = text[s_start : mention[0]].rstrip()
        if comma.endswith(",") and _trailing_rest_ok(text, m.end(), s_end):
            found.extend(_before_cue(text, clause_start, len(comma) + s_start - 1, cue, mention, 0.75))
    return found


def _word_before_cue(text: str, start: int, pos: int) -> tuple[str, int]:
    """The last word before a cue past adverbs and auxiliaries ("and has also said" -> "and"), and its start."""
    for m in reversed(list(WORD_RE.finditer(text, max(start, pos - 100), pos))):
        if m.group().lower() not in BEFORE_CUE:
            return m.group().lower(), m.start()
    return "", pos


def _starts_with_finite_verb_phrase(text: str, pos: int) -> bool:
    """A short subject then an auxiliary or modal ("the goal should have stood"): a reported clause even without
    "that" after a cue that usually takes a noun ("claimed victory", "denied the charges")."""
    for raw in text[pos : pos + 80].split()[:5]:
        word = _bare(raw).lower()
        if word in AUXILIARIES:
            return True
        if _np_kind(raw) is None or raw.endswith(","):
            return False
    return False


def _subordinate_subject(text: str, start: int, pos: int) -> tuple[int, int] | None:
    """The subject of the last subordinate clause before ``pos`` ("after the airline cut its forecast")."""
    openers = list(SUBORDINATOR_RE.finditer(text, max(start, pos - 300), pos))
    if not openers:
        return None
    tokens = _tokens(text, openers[-1].end(), pos)
    words = []
    for k, (s, e, raw) in enumerate(tokens):
        following = _np_kind(tokens[k + 1][2]) if k + 1 < len(tokens) else None
        # a verb ends the subject: an auxiliary, a past tense, or a word followed by its object's determiner
        if words and (_bare(raw).lower() in FINITE_MARKERS or (raw.islower() and raw.endswith("ed"))
                      or following in ("det", "pron")):
            break
        if _np_kind(raw) not in ("det", "adj", "cap", "role"):
            return None
        words.append((s, e))
    return (words[0][0], words[-1][1]) if words else None


def _trailing_rest_ok(text: str, pos: int, end: int) -> bool:
    """What may follow a trailing attribution: adjuncts and a listener, then maybe a comma and a tail of any
    kind (", despite warnings that ...", ", adding that ..."); no new clause of the cue's own."""
    rest = text[pos:end].split(",", 1)[0].strip().rstrip(".!?")
    return len(rest.split()) <= 25 and not re.search(r"\bthat\b|[\"“”]", rest)


def _before_cue(text: str, start: int, comma: int, cue: Span, mention: tuple[int, int],
                score: float) -> list[Candidate]:
    """The clause before ", X said" when it is one ("After the talks, X said" has none)."""
    start, end = _trim_content(text, max(start, comma - MAX_CLAUSE), comma)
    if not _is_finite_clause(text, start, end, relaxed=True):
        return []
    return [Candidate(start, end, cue, mention, score, forward=False)]


def _according_to(text: str, para: Paragraph, start: int, end: int, cue: Span) -> list[Candidate]:
    """ "According to X, CONTENT." and "CONTENT, according to X." or "CONTENT, per X." (not a mid-sentence
    "according to")."""
    source = np_after(text, _strip(text, cue.end, end)[0], end)
    if source is None:
        return []
    # "according to an official familiar with the talks": the source ends before its modifier, which (unlike a
    # new clause) may run to the sentence end
    modifier = SOURCE_MODIFIER_RE.search(text, source[0], end)
    modifier = modifier if modifier and modifier.start() <= source[1] else None
    if modifier:
        source = _strip(text, source[0], modifier.start())
    lead = text[start : cue.start].strip()
    if not lead:
        comma = text.find(",", source[1], end)
        if comma < 0 or comma - source[1] > 40:
            return []
        content = _trim_content(text, comma + 1, _cut_point(text, comma + 1, end, para.regions))
        return [Candidate(*content, cue, source, 0.75)] if content[1] - content[0] >= 10 else []
    comma = text.rfind(",", start, cue.start)
    # nothing, the source's modifier, or a new coordinated clause (", and others say")
    rest = "" if modifier else text[source[1] : end].strip(" .!?\"”")
    # '"...," X said, according to Y' reports X's words: the source Y is only the channel.
    # the comma may sit inside a closing quotation mark ('"...," per the readout')
    if lead.rstrip("\"”").endswith(",") and (not rest or re.match(r",\s*(?:and|but)\s", rest)) and not any(
            _cue_matches(text, (start, comma), para.regions)):
        return _before_cue(text, start, comma, cue, source, 0.75)
    return []


def _in_view(text: str, para: Paragraph, start: int, end: int, cue: Span) -> list[Candidate]:
    """ "In his view, CONTENT.": a sentence-opening opinion frame whose possessive is the source."""
    if text[start : cue.start].strip() or text[cue.end : cue.end + 1] != ",":
        return []
    owner = WORD_RE.search(text, cue.start + len("in"))  # the possessive
    content = _trim_content(text, cue.end + 1, _cut_point(text, cue.end + 1, end, para.regions))
    if not _is_finite_clause(text, *content, relaxed=True):
        return []
    return [Candidate(*content, cue, owner.span(), 0.7)]


def _resolve_nesting(candidates: list[Candidate]) -> list[Candidate]:
    """One clause, one quote. A clause containing another cue keeps the innermost report: "the agency reported
    that X said CONTENT" -> CONTENT by X; "X said CONTENT, local media reported" -> CONTENT by X; a forward
    clause is cut before a later report's subject ("A said P, while B said Q")."""
    by_cue = sorted(candidates, key=lambda c: c.cue.start)
    kept = []
    for outer in candidates:
        first = bisect_left(by_cue, outer.start, key=lambda c: c.cue.start)
        inner = [c for c in by_cue[first:bisect_left(by_cue, outer.end, key=lambda c: c.cue.start)] if c is not outer]
        if inner and not outer.forward:
            continue
        for c in inner:
            outer.end = min(outer.end, c.mention[0] if c.mention[0] >= outer.start else c.cue.start)
        kept.append(outer)
    return kept


# ---------------------------------------------------------------- quoted passages -> quotes


def _direct_attribution(text: str, para: Paragraph, index: int) -> tuple[Span, tuple[int, int]] | None:
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
        mention = np_after(text, _strip(text, m.end(), window_end)[0], window_end)
    else:
        mention = np_before(text, region.outer_end, m.start())
        # Only punctuation between the passage and the subject, and no sentence end outside the marks
        # ('called it a "provocation". Washington said ...' starts a new report).
        if mention is not None and re.search(r"\w|[.!?]", text[region.outer_end : mention[0]]):
            return None
    return (cue, mention) if identifiable(text, mention) else None


def _scare_quote(text: str, region: Region) -> bool:
    """A short quoted term; a short quoted sentence ('"Nobody listened."') is an utterance."""
    return len(text[region.start : region.end].split()) <= SCARE_QUOTE_WORDS and text[region.end - 1] not in TERMINAL


def _own_sentence(text: str, para: Paragraph, region: Region) -> bool:
    """Nothing but punctuation around the passage in its sentence, or nothing after it and a colon before it
    ('he says — and then, after a pause: "..."')."""
    k = bisect_right(para.sentences, region.outer_start, key=lambda sentence: sentence[0]) - 1
    if k < 0:
        return False
    s, e = para.sentences[k]
    before = text[s : region.outer_start].rstrip()
    return not re.search(r"\w", text[region.outer_end : max(e, region.outer_end)]) and (
        before.endswith(":") or not re.search(r"\w", before))


def _utterance_at_start(text: str, candidate: Candidate, region: Region) -> bool:
    """A clause that opens with a complete quoted utterance ('said, "We will see," before leaving') is that
    direct quote; a clause continuing after a quoted fragment ('insisted "sooner or later" Turkey would') is
    mixed."""
    if re.search(r"\w", text[candidate.start : region.outer_start]):
        return False
    after = text[region.outer_end : candidate.end + 1].lstrip()
    return not re.search(r"\w", after) or text[region.end - 1] in ",.!?" or after[:1] in ",.;"


def _speaker(text: str, mention: tuple[int, int] | None) -> Speaker | None:
    return Speaker(mention[0], mention[1], text[mention[0] : mention[1]]) if mention else None


def _quote(text: str, start: int, end: int, type_: str, cue: Span | None, speaker: Speaker | None,
           score: float) -> Quote:
    return Quote(start=start, end=end, text=text[start:end], type=type_, cue=cue, speaker=speaker, score=score)


def _paragraph_quotes(text: str, para: Paragraph, floating_allowed: bool) -> list[Quote]:
    """Quotes of one paragraph: reported clauses (direct when the clause is one quoted passage, mixed when it
    contains one), quoted passages attributed by a following cue, and cue-less quoted sentences that inherit
    the previous speaker when ``floating_allowed``."""
    candidates = [c for sentence in para.sentences for c in _sentence_candidates(text, para, sentence)]
    candidates = [c for c in _resolve_nesting(candidates) if identifiable(
        text, c.mention, strict=" ".join(c.cue.text.lower().split()) in SOURCE_PREPOSITIONS)]
    quotes: list[Quote] = []
    used: set[int] = set()
    first_end = min((c.end for c in candidates), default=para.end)  # floating quotes follow an attributed one
    for c in candidates:
        c.start, c.end = _trim_content(text, c.start, c.end)
        inside = _regions_between(para.regions, c.start, c.end)
        used.update(inside)
        if len(text[c.start : c.end].split()) < 3 and not inside:
            continue
        region = para.regions[inside[0]] if inside else None
        if region is not None and _utterance_at_start(text, c, region):
            quotes.append(_quote(text, region.start, region.end, "direct", c.cue, _speaker(text, c.mention),
                                 0.95 if region.balanced else 0.8))
        else:
            quotes.append(_quote(text, c.start, c.end, "mixed" if inside else "indirect", c.cue,
                                 _speaker(text, c.mention), c.score))
    for i, region in enumerate(para.regions):
        if i in used:
            continue
        attribution = _direct_attribution(text, para, i)
        if attribution is not None:
            cue, mention = attribution
            quotes.append(_quote(text, region.start, region.end, "direct", cue, _speaker(text, mention),
                                 0.95 if region.balanced else 0.8))
            first_end = min(first_end, region.end)
        elif not _scare_quote(text, region) and _own_sentence(text, para, region) and (
                floating_allowed or first_end <= region.outer_start):
            quotes.append(_quote(text, region.start, region.end, "direct", None, None,
                                 0.75 if region.balanced else 0.6))
    return sorted(quotes, key=lambda q: q.start)


def find_quotes(text: str) -> list[Quote]:
    """All quotations in ``text`` in text order. Each carries its cue and, where the text gives one, the source
    mention as ``speaker`` (canonical names are filled in by ``speakers.attribute_speakers``). A quotation
    without a cue of its own (a follow-on quoted paragraph) has no speaker yet: it inherits the previous one,
    except the first paragraph of a multi-paragraph quotation, which takes the attribution found later in it."""
    paragraphs = layout(text)
    results: list[Quote] = []
    last_quoted: int | None = None
    continued: list[Quote] = []  # cue-less opening paragraphs of a quotation that goes on
    lead_in: tuple[Span, tuple[int, int]] | None = None  # "X added:" closing the previous paragraph
    for index, para in enumerate(paragraphs):
        if not para.prose:
            post = _embedded_post(text, para)
            if post is not None:
                results.append(post)
            continue
        recent = last_quoted is not None and index - last_quoted <= FLOATING_REACH
        goes_on = _goes_on(text, paragraphs, index)
        quotes = _paragraph_quotes(text, para, recent or bool(continued) or goes_on or lead_in is not None)
        if lead_in is not None and quotes and quotes[0].cue is None:
            quotes[0].cue, quotes[0].speaker = lead_in[0], _speaker(text, lead_in[1])
        lead_in = _colon_lead_in(text, para)
        if not quotes:
            continued = []
            continue
        last_quoted = index
        attributed = next((q for q in quotes if q.speaker), None)
        if attributed:
            for q in continued:
                q.speaker = _speaker(text, (attributed.speaker.start, attributed.speaker.end))
            continued = []
        if quotes[-1].speaker is None and goes_on:
            continued.append(quotes[-1])
        elif not goes_on:  # the quotation ended without an attribution: its paragraphs inherit the previous one
            continued = []
        results.extend(quotes)
    return results


def _embedded_post(text: str, para: Paragraph) -> Quote | None:
    """A social media post embedded in the page, signed "— Name (@handle) Date": the post is the named
    author's direct quotation."""
    m = EMBEDDED_POST_RE.fullmatch(text, para.start, para.end)
    if m is None:
        return None
    handle = Span(m.start("handle"), m.end("handle"), m.group("handle"))
    return _quote(text, *m.span("content"), "direct", handle, _speaker(text, m.span("name")), 0.9)


def _colon_lead_in(text: str, para: Paragraph) -> tuple[Span, tuple[int, int]] | None:
    """The cue and source of a paragraph that ends by introducing the next one ("Lindqvist added:", "She told
    reporters on Tuesday:")."""
    if text[para.end - 1] != ":" or not para.sentences:
        return None
    sentence = para.sentences[-1]
    cues = [m for m, _ in _cue_matches(text, sentence, para.regions)]
    if not cues or len(text[cues[-1].end() : para.end - 1].split()) > LEAD_IN_TAIL_WORDS:
        return None
    last = cues[-1]
    mention = np_before(text, sentence[0], last.start())
    cue = Span(last.start(), last.end(), last.group())
    return (cue, mention) if identifiable(text, mention) else None


def _goes_on(text: str, paragraphs: list[Paragraph], index: int) -> bool:
    """The paragraph ends inside an unclosed quotation and the next one re-opens it."""
    para = paragraphs[index]
    if not para.regions or para.regions[-1].balanced or para.regions[-1].outer_end < para.end:
        return False
    following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
    return following is not None and text[following.start] in QUOTE_OPENERS

TITLE_WORDS = set(
    "President Vice Prime Minister Secretary Secretary-General General Lieutenant Lt Lt. Colonel Col Col. Major "
    "Maj. Captain Capt. Commander Admiral Adm. Deputy Chief Spokesman Spokeswoman Spokesperson Ambassador Senator "
    "Sen. Rep. Representative Governor Gov. Mayor King Queen Prince Princess Sheikh Emir Pope Chancellor Chairman "
    "Chairwoman Chair CEO Director Head Foreign Defense Defence Interior Finance Economy Trade Energy Justice "
    "Assistant Under Undersecretary Mr Mr. Mrs Mrs. Ms Ms. Dr Dr. Gen Gen. Sgt. Judge Speaker Leader Aide Adviser "
    "Advisor Envoy Officer Premier Presidential Press State Attorney Inspector Professor Prof. Sir Lord Lady Dame "
    "Rev. Executive Founder Senior Former Acting Interim Commissioner Counsellor Counselor Marshal Brigadier "
    "Sergeant Lawmaker Congressman Congresswoman Analyst Coach".split()
)
