"""Reported clauses: for each speech cue in a sentence, its source mention and the clause it reports (after the cue,
before it as a trailing attribution, around "according to"), then one clause per report when reports nest."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from ..data import Span
from .cues import NOMINAL_CUE_RE, cue_matches, word_before_cue
from .layout import (
    DATELINE_RE,
    QUOTE_OPENERS,
    SINGLE_OPENERS,
    WORD_RE,
    Paragraph,
    Region,
    is_abbreviation,
    region_at,
    strip_span,
    tokenize,
)
from .lexicon import (
    AUXILIARIES,
    COGNITION_FORMS,
    CONNECTORS,
    CUE_FORMS,
    DETERMINERS,
    DISCOURSE_ASIDES,
    DOCUMENT_SOURCES,
    FINITE_MARKERS,
    FUNCTION_WORDS,
    INVERTIBLE,
    LISTENER_FORMS,
    MEDIA_WORDS,
    PARTICIPLE_CUES,
    PARTICIPLES,
    PRONOUNS,
    RELAXED_FORMS,
    REPORTED_ACTIONS,
    SOURCE_PREPOSITIONS,
    TELL_FORMS,
    THAT_ONLY_FORMS,
    TIME_WORDS,
    WH_CUE_FORMS,
)
from .mentions import (
    SOURCE_MODIFIER_RE,
    WordKind,
    bare_word,
    is_capitalised,
    np_after,
    np_before,
    sentence_subject,
    subordinate_subject,
    word_kind,
)
from .rules import (
    ACCORDING_TO_LEADING,
    ACCORDING_TO_TRAILING,
    COORDINATED_REPORT,
    CUE_CLAUSE,
    CUE_THAT,
    FRONTED_PARTICIPLE,
    IN_VIEW,
    INDIRECT_QUESTION,
    PARENTHETICAL_CUE,
    TRAILING_CUE,
    TRAILING_INVERTED_CUE,
    Rule,
)

_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
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
CLAUSE_CUT_RE = re.compile(
    # (not right after "that": "... and that, according to X, B" goes on past the aside)
    r"(?<!\bthat),\s+(?:"
    + "|".join(c.replace(" ", r"\s+") for c in PARTICIPLE_CUES)
    + r"|according\s+to|while|whereas)\b"
    # the writer's comment on the report (", a move that analysts welcomed")
    r"|,\s+an?\s+\w+(?:\s+\w+)?\s+(?:that|which)\b|;|\s[—–]\s"
    # a comma after a closing mark (British style): the writer goes on ("... 'a national decision', a phrase
    # he has used before"), unless a coordinated report follows
    r"|(?<=[’'”\"]),\s+(?!and\s+(?:also\s+)?that\b)"
    # the writer's scene around the report (", as he showed the visitors around")
    r"|,\s+as\s+(?:he|she|they)\s+\w+ed\b"
    # the source's next act, its subject shared or a pronoun (", and she accused the government of ...")
    r"|,?\s+(?:and|but)\s+(?:(?:he|she|they)\s+)?(?:" + "|".join(REPORTED_ACTIONS) + r")\b",
    re.IGNORECASE,
)
# The wh-word that opens an indirect question after "asked" or "wondered".
WH_CLAUSE_RE = re.compile(r"\b(?:whether|if|why|how|what|when|where|who|which)\b")
# "said A, and that B": the second clause of a coordinated report (the comma may sit inside the marks).
COORDINATED_THAT_RE = re.compile("(?:,[”\"’']?|[”\"’'],)\\s+and\\s+(?:also\\s+)?that\\s+")
_ASIDE = "|".join(re.escape(aside).replace(r"\ ", r"\s+") for aside in DISCOURSE_ASIDES)
ASIDE_AFTER_CUE_RE = re.compile(rf",\s*(?:{_ASIDE})\s*,\s*", re.IGNORECASE)  # "stressed, however, that"
ASIDE_BEFORE_CUE_RE = re.compile(rf",\s*(?:{_ASIDE})\s*,\s*$", re.IGNORECASE)  # "X, in turn, stated"
# After a document named as a source, who made it: "(published last month) by X".
DOCUMENT_MAKER_RE = re.compile(
    r"(?:\s+(?:published|released|issued|conducted|commissioned|prepared|compiled)\b[^,.;:]{0,40}?)?\s+by\s+"
)
MAIN_VERB_AFTER_COMMA_RE = re.compile(r",\s+(?:[a-z]+ly\s+)?(?P<verb>[a-z]+)\b")
MAKER_END_RE = re.compile(r"[,;:.!?]|\s(?:which|who|that)\s|$")
MAX_MAKER_WORDS = 8
# A source's name in apposition that ends the sentence: "according to its maker, Almaz-Antey."
# "According to the report, published in March, CONTENT": a participle aside on the source before its content.
SOURCE_ASIDE_RE = re.compile(r"\s+(?:[a-z]+(?:ed|ing)|seen|shown|written|drawn|given|made)\b[^,;:.!?\"“”]{0,80},")
APPOSITIVE_SOURCE_RE = re.compile(r",\s+([A-Z][\w'’&.-]*(?:\s+[A-Z][\w'’&.-]*){0,4})\s*[.!?]?\s*$")
DANGLING_TAIL_RE = re.compile(r"(?:[,;]?\s+(?:and|but|while|whereas|or))+\s*$")
MAX_CLAUSE = 1000  # a reported clause is at most this long (bounds the work on text without sentence ends)


@dataclass
class Candidate:
    """A reported clause ``start:end`` with its cue and source mention, before quoted passages are merged in."""

    start: int
    end: int
    cue: Span
    mention: tuple[int, int]
    rule: Rule
    forward: bool = True  # the clause follows its cue (else it precedes it: a trailing attribution)


def _skip_tell_object(text: str, pos: int, end: int) -> int:
    """Past the listener of "told": a name ("told Reuters", "told the BBC") or a short lower-case noun phrase
    ("told reporters", "told the team")."""
    tokens = tokenize(text, pos, min(end, pos + 200))
    k = 1 if tokens and word_kind(tokens[0][2]) == WordKind.DETERMINER else 0
    kinds = (
        (WordKind.NAME,)
        if k < len(tokens) and word_kind(tokens[k][2]) == WordKind.NAME
        else (WordKind.MODIFIER, WordKind.ROLE)
    )
    object_end = pos
    while k < len(tokens) and word_kind(tokens[k][2]) in kinds:
        object_end = tokens[k][1]
        if re.search(r"[,;:]$", tokens[k][2]):
            return object_end - 1
        k += 1
    return object_end


def _that_within(text: str, pos: int, end: int, allow_object: bool) -> int | None:
    """End of "that" when only an adjunct ("on Tuesday", "in a statement") or, for "told", an object separates
    it from the cue."""
    tokens = tokenize(text, pos, min(end, pos + 160))
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


def is_finite_clause(text: str, start: int, end: int, relaxed: bool) -> bool:
    """A reported clause (not a bare object): an auxiliary, a negated or past-tense verb, or a pronoun subject
    in its first words. ``relaxed`` (after say/tell, which rarely take a noun object) also accepts a present
    tense verb after a noun ("Turkey wants ...", "demand remains ..."), and a quotation opening after the first
    words ('the measures "remain in force"': what the source said, partly in its words)."""
    raw = text[start:end].split()[:15]
    words = [bare_word(w).lower() for w in raw]
    if not words:
        return False
    if words[0] in PRONOUNS | {"there", "you"}:
        return True
    if relaxed and any(w[0] in QUOTE_OPENERS for w in raw[1:4]):
        return True
    for k, word in enumerate(words):
        if word in FINITE_MARKERS or word.endswith(("n't", "n’t")) or (k > 0 and len(word) > 4 and word.endswith("ed")):
            return True
        if (
            relaxed
            and 0 < k < 6
            and len(word) > 3
            and word.endswith("s")
            and not word.endswith(("ss", "us", "is"))
            and words[k - 1] not in DETERMINERS
            and words[k - 1] not in FUNCTION_WORDS
        ):
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


def content_after(text: str, cue_end: int, sentence_end: int, verb: str) -> tuple[int, bool] | None:
    """Start of the reported clause after a cue, and whether "that", a colon or a quotation mark introduced it."""
    pos = strip_span(text, cue_end, sentence_end)[0]
    if pos >= sentence_end:
        return None
    if verb in WH_CUE_FORMS:  # "asked (reporters) whether ...": only an indirect question, never a bare object
        wh = WH_CLAUSE_RE.search(text, pos, min(sentence_end, pos + 60))
        return (wh.start(), True) if wh and not re.search(r"[,;:\"“”]", text[pos : wh.start()]) else None
    if aside := ASIDE_AFTER_CUE_RE.match(text, pos):
        return content_after(text, aside.end(), sentence_end, verb)
    if text[pos] in ":,":
        after = strip_span(text, pos + 1, sentence_end)[0]
        if after < sentence_end and (text[pos] == ":" or text[after] in QUOTE_OPENERS + SINGLE_OPENERS):
            return after, True
        return None
    that = _that_within(text, pos, sentence_end, verb in LISTENER_FORMS)
    if that is not None:
        return strip_span(text, that, sentence_end)[0], True
    if verb in TELL_FORMS:
        pos = strip_span(text, _skip_tell_object(text, pos, sentence_end), sentence_end)[0]
    adjuncts_start = pos
    pos = _skip_adjuncts(text, pos, sentence_end)
    # After "said on Tuesday," only a quotation goes on the report; anything else is an adverbial tail
    # ("..., X said on Tuesday, despite warnings ...") and the content is before the cue.
    set_off = "," in text[adjuncts_start:pos]
    if set_off and text[pos] not in QUOTE_OPENERS + SINGLE_OPENERS:
        return None
    if not re.search(r"\w", text[pos:sentence_end]) or text[pos] in ",;:—–-":
        if pos < sentence_end and text[pos] in ":,":  # "told reporters: ..."
            return content_after(text, pos, sentence_end, "said")
        return None
    if text[pos] in QUOTE_OPENERS:
        return pos, True
    if text[pos : pos + 5].lower() == "that ":
        return strip_span(text, pos + 4, sentence_end)[0], True
    first = bare_word(text[pos:sentence_end].split(maxsplit=1)[0]).lower()
    # "said no missiles were fired" is a report; "said no to the plan" fails the finite-clause test later.
    if first in FUNCTION_WORDS - {"no"} or first in TIME_WORDS or first in CONNECTORS:
        return None
    return pos, False


def cut_point(text: str, start: int, end: int, regions: list[Region]) -> int:
    """Where a reported clause stops before its sentence ends: a follow-up participle (", adding ..."), a
    trailing "according to", a semicolon or a dash aside."""
    for m in CLAUSE_CUT_RE.finditer(text, start, end):
        if not region_at(m.start(), regions):
            return m.start()
    return end


def trim_content(text: str, start: int, end: int) -> tuple[int, int]:
    """Without surrounding space, final punctuation outside quotation marks or a dangling conjunction."""
    while True:
        start, end = strip_span(text, start, end)
        tail = DANGLING_TAIL_RE.search(text, start, end)
        if tail and tail.start() > start:
            end = tail.start()
        elif end > start and text[end - 1] in ".,;:" and not is_abbreviation(text, end - 1, start):
            end -= 1
        else:
            return start, end


def _starts_with_finite_verb_phrase(text: str, pos: int) -> bool:
    """A short subject then an auxiliary or modal ("the goal should have stood"): a reported clause even without
    "that" after a cue that usually takes a noun ("claimed victory", "denied the charges")."""
    for raw in text[pos : pos + 80].split()[:5]:
        word = bare_word(raw).lower()
        if word in AUXILIARIES:
            return True
        if word_kind(raw) is None or raw.endswith(","):
            return False
    return False


def _trailing_rest_ok(text: str, pos: int, end: int) -> bool:
    """What may follow a trailing attribution: adjuncts and a listener, then maybe a comma and a tail of any
    kind (", despite warnings that ...", ", adding that ..."); no new clause of the cue's own."""
    rest = text[pos:end].split(",", 1)[0].strip().rstrip(".!?")
    return len(rest.split()) <= 25 and not re.search(r"\bthat\b|[\"“”]", rest)


def _clause_start(text: str, para: Paragraph, sentence: tuple[int, int]) -> int:
    """Sentence start, past a dateline ("ANKARA (Reuters) - ") at the start of a paragraph."""
    dateline = DATELINE_RE.match(text, *sentence) if sentence[0] == para.start else None
    return dateline.end() if dateline else sentence[0]


def sentence_candidates(text: str, para: Paragraph, sentence: tuple[int, int]) -> list[Candidate]:
    found: list[Candidate] = []
    s_start, s_end = sentence
    clause_start = _clause_start(text, para, sentence)
    last_mention: tuple[int, int] | None = None
    for m, verb in cue_matches(text, sentence, para.regions):
        cue = Span(m.start(), m.end(), m.group())
        lead = text[s_start : m.start()].rstrip()
        if verb in SOURCE_PREPOSITIONS:
            found.extend(_according_to(text, para, clause_start, s_end, cue))
            continue
        if verb.startswith("in "):
            found.extend(_in_view(text, para, clause_start, s_end, cue))
            continue
        if verb in PARTICIPLE_CUES and not text[clause_start : m.start()].strip():
            found.extend(_fronted_participle(text, para, s_end, cue))
            continue
        word, word_start = word_before_cue(text, s_start, m.start())
        if word in ("and", "but"):  # "X said A but warned that B", "X criticised the plan and said B"
            mention = last_mention or sentence_subject(text, clause_start, s_end)
        elif word == "who":  # "the ambassador, X, who told reporters that ...", "X, who had said ..."
            before_who = text[s_start:word_start].rstrip()
            mention = np_before(text, s_start, word_start) or (
                np_before(text, s_start, s_start + len(before_who) - 1) if before_who.endswith(",") else None
            )
        elif aside := ASIDE_BEFORE_CUE_RE.search(lead):  # "X, in turn, stated": X
            mention = np_before(text, s_start, s_start + aside.start())
        else:
            mention = None if lead.endswith(",") and verb in PARTICIPLE_CUES else np_before(text, s_start, m.start())
        if verb in PARTICIPLE_CUES:  # "..., after the airline cut its forecast, saying B": that clause's subject
            mention = (
                mention
                or last_mention
                or subordinate_subject(text, clause_start, m.start())
                or sentence_subject(text, clause_start, s_end)
            )
        if verb in COGNITION_FORMS and mention and found and found[-1].forward and found[-1].start == mention[0]:
            continue  # "X said the alliance hoped ...": the hope is part of X's report, its holder no source
        if mention is None:
            if verb in INVERTIBLE and lead.endswith(","):  # "CONTENT, said X."
                mention = np_after(text, strip_span(text, m.end(), s_end)[0], s_end)
                rest = text[mention[1] : s_end].strip(" .!?") if mention else "x"
                if mention and (not rest or rest.startswith(",")):
                    found.extend(
                        _before_cue(text, clause_start, len(lead) + s_start - 1, cue, mention, TRAILING_INVERTED_CUE)
                    )
            continue
        last_mention = mention
        after = content_after(text, m.end(), min(s_end, m.end() + MAX_CLAUSE), verb)
        if after is not None:
            start, introduced = after
            that_only = verb in THAT_ONLY_FORMS or NOMINAL_CUE_RE.fullmatch(verb)
            if that_only and not introduced and not _starts_with_finite_verb_phrase(text, start):
                continue
            stop = cut_point(text, start, min(s_end, start + MAX_CLAUSE), para.regions)
            if word == "who":  # "X, who had said A, said on Sunday B": the relative clause ends before the main cue
                stop = _relative_clause_end(text, start, stop, para.regions)
            start, end = trim_content(text, start, stop)
            # after a coordinated cue ("... and had added shifts"), the verb is as often an ordinary one
            relaxed = verb in RELAXED_FORMS and word not in ("and", "but")
            if end <= start or (not introduced and not is_finite_clause(text, start, end, relaxed)):
                continue
            rule = INDIRECT_QUESTION if verb in WH_CUE_FORMS else CUE_THAT if introduced else CUE_CLAUSE
            found.append(Candidate(start, end, cue, mention, rule))
            continue
        # No clause after the cue: a trailing attribution ("CONTENT, X said on Tuesday.") when a comma sits
        # right before the subject.
        comma = text[s_start : mention[0]].rstrip()
        if comma.endswith(",") and verb not in WH_CUE_FORMS and _trailing_rest_ok(text, m.end(), s_end):
            found.extend(
                _before_cue(text, clause_start, len(comma) + s_start - 1, cue, mention, TRAILING_CUE)
                or _parenthetical(text, clause_start, s_end, cue, mention)
            )
    return found


def _fronted_participle(text: str, para: Paragraph, end: int, cue: Span) -> list[Candidate]:
    """ "Stating that CONTENT, the minister called for ...": the clause up to the comma that closes the
    participial phrase, by the subject after it."""
    after = content_after(text, cue.end, end, "saying")
    if after is None or not after[1]:
        return []
    comma = next(
        (
            m.start()
            for m in re.finditer(",", text[after[0] : end])
            if not region_at(after[0] + m.start(), para.regions)
        ),
        None,
    )
    if comma is None:
        return []
    comma += after[0]
    subject = np_after(text, strip_span(text, comma + 1, end)[0], end)
    if subject is None:
        return []
    return [Candidate(*trim_content(text, after[0], comma), cue, subject, FRONTED_PARTICIPLE)]


def _parenthetical(text: str, start: int, end: int, cue: Span, mention: tuple[int, int]) -> list[Candidate]:
    """ "The deal, he said, was final.": one attribution set off inside its clause; the quote is the whole
    clause around it."""
    rest = strip_span(text, cue.end, end)[0]
    tail = text[rest:end]
    if not tail.startswith(",") or not re.match(r",\s+[a-z]", tail):
        return []
    content = trim_content(text, start, end)
    if not is_finite_clause(text, content[0], mention[0], relaxed=True) and not is_finite_clause(
        text, rest + 1, content[1], relaxed=True
    ):
        return []
    return [Candidate(*content, cue, mention, PARENTHETICAL_CUE, forward=False)]


def _before_cue(text: str, start: int, comma: int, cue: Span, mention: tuple[int, int], rule: Rule) -> list[Candidate]:
    """The clause before ", X said" when it is one ("After the talks, X said" has none)."""
    start, end = trim_content(text, max(start, comma - MAX_CLAUSE), comma)
    if not is_finite_clause(text, start, end, relaxed=True):
        return []
    return [Candidate(start, end, cue, mention, rule, forward=False)]


def _according_to(text: str, para: Paragraph, start: int, end: int, cue: Span) -> list[Candidate]:
    """ "According to X, CONTENT." and "CONTENT, according to X." or "CONTENT, per X." (not a mid-sentence
    "according to")."""
    source = np_after(text, strip_span(text, cue.end, end)[0], end)
    if source is None:
        return []
    # "according to an official familiar with the talks": the source ends before its modifier, which (unlike a
    # new clause) may run to the sentence end
    modifier = SOURCE_MODIFIER_RE.search(text, source[0], end)
    modifier = modifier if modifier and modifier.start() <= source[1] else None
    if modifier:
        source = strip_span(text, source[0], modifier.start())
    if (maker := _document_maker(text, source, end)) != source:
        source, modifier = maker, True  # what follows the maker's name modifies it
    elif not modifier and (named := APPOSITIVE_SOURCE_RE.match(text, source[1], end)):
        source = (named.start(1), named.end(1))  # "according to its maker, Almaz-Antey."
    lead = text[start : cue.start].strip()
    if not lead:
        comma = text.find(",", source[1], end)
        if comma < 0 or comma - source[1] > 40:
            return []
        if aside := SOURCE_ASIDE_RE.match(text, comma + 1, end):
            comma = aside.end() - 1
        content = trim_content(text, comma + 1, cut_point(text, comma + 1, end, para.regions))
        return [Candidate(*content, cue, source, ACCORDING_TO_LEADING)] if content[1] - content[0] >= 10 else []
    comma = text.rfind(",", start, cue.start)
    # nothing, the source's modifier, or a new coordinated clause (", and others say")
    rest = "" if modifier else text[source[1] : end].strip(' .!?"”')
    # '"...," X said, according to Y' reports X's words: the source Y is only the channel.
    # the comma may sit inside a closing quotation mark ('"...," per the readout')
    if (
        lead.rstrip('"”').endswith(",")
        and (not rest or re.match(r",\s*(?:and|but)\s", rest))
        and not any(cue_matches(text, (start, comma), para.regions))
    ):
        return _before_cue(text, start, comma, cue, source, ACCORDING_TO_TRAILING)
    return []


def _relative_clause_end(text: str, start: int, end: int, regions: list[Region]) -> int:
    """Where a report inside a relative clause ends: at the comma before the main clause's verb ("who had said A,
    said on Sunday ...", "who said A, was booed"), if there is one."""
    for m in MAIN_VERB_AFTER_COMMA_RE.finditer(text, start, end):
        word = m.group("verb").lower()
        if region_at(m.start(), regions) is None and (
            word in FINITE_MARKERS or word in CUE_FORMS or word.endswith("ed")
        ):
            return m.start()
    return end


def _document_maker(text: str, source: tuple[int, int], end: int) -> tuple[int, int]:
    """The maker of a document named as the source: "a report published last month by X" -> X, "a Congressional
    Research Service report" -> Congressional Research Service; any other source as it is."""
    words = list(WORD_RE.finditer(text, *source))
    head = next((k for k, w in enumerate(words) if bare_word(w.group()).lower() in DOCUMENT_SOURCES), None)
    if head is None:
        return source
    words = words[: head + 1]  # "a survey published last month": the document ends at its head
    maker = DOCUMENT_MAKER_RE.match(text, words[-1].end(), min(end, words[-1].end() + 80))
    if maker:  # the maker's name runs to the next comma or clause ("by an Ankara polling firm, which ...")
        named = strip_span(text, maker.end(), MAKER_END_RE.search(text, maker.end(), end).start())
        if 0 < len(text[named[0] : named[1]].split()) <= MAX_MAKER_WORDS:
            return named
    names = [w for w in words[:-1] if is_capitalised(bare_word(w.group()))]
    return (names[0].start(), names[-1].end()) if names else (source[0], words[-1].end())


def _in_view(text: str, para: Paragraph, start: int, end: int, cue: Span) -> list[Candidate]:
    """ "In his view, CONTENT.": a sentence-opening opinion frame whose possessive is the source."""
    if text[start : cue.start].strip() or text[cue.end : cue.end + 1] != ",":
        return []
    owner = WORD_RE.search(text, cue.start + len("in"))  # the possessive
    content = trim_content(text, cue.end + 1, cut_point(text, cue.end + 1, end, para.regions))
    if not is_finite_clause(text, *content, relaxed=True):
        return []
    return [Candidate(*content, cue, owner.span(), IN_VIEW)]


def resolve_nesting(text: str, candidates: list[Candidate]) -> list[Candidate]:
    """One clause, one quote. A report nested at the start of another belongs to the outer source ("X noted that
    the US had said that CONTENT" -> X), unless the outer source only relays it ("the agency reported that X said
    CONTENT" -> X, not the agency); "X said CONTENT, local media reported" -> CONTENT by X; a forward clause is cut
    before a later report's subject ("A said P and B said Q")."""
    by_cue = sorted(candidates, key=lambda c: c.cue.start)
    dropped: set[int] = set()
    kept = []
    for outer in candidates:
        if id(outer) in dropped:
            continue
        first = bisect_left(by_cue, outer.start, key=lambda c: c.cue.start)
        inner = [c for c in by_cue[first : bisect_left(by_cue, outer.end, key=lambda c: c.cue.start)] if c is not outer]
        if inner and not outer.forward:
            continue
        for c in inner:
            if c.mention[0] == outer.start and not _relays(text, outer):
                dropped.add(id(c))
            else:
                outer.end = min(outer.end, c.mention[0] if c.mention[0] >= outer.start else c.cue.start)
        kept.append(outer)
    return [c for c in kept if id(c) not in dropped]


def _relays(text: str, candidate: Candidate) -> bool:
    """The source passes on someone else's words: a news medium, or a cue of reporting ("reported")."""
    mention = [bare_word(w).lower() for w in text[candidate.mention[0] : candidate.mention[1]].split()]
    verb = candidate.cue.text.lower()
    return verb.startswith("report") or bool(mention) and mention[-1] in MEDIA_WORDS


def split_coordinated(text: str, candidate: Candidate, regions: list[Region]) -> list[Candidate]:
    """ "said A, and that B": two reports of the same cue and source, the second by COORDINATED_REPORT."""
    if not candidate.forward:
        return [candidate]
    for m in COORDINATED_THAT_RE.finditer(text, candidate.start, candidate.end):
        end = m.start() + len(m.group()) - len(m.group().lstrip(",”\"’'"))  # a closing mark stays with the first
        if region_at(end, regions) is None and m.start() > candidate.start:
            first = Candidate(
                *trim_content(text, candidate.start, end), candidate.cue, candidate.mention, candidate.rule
            )
            rest = Candidate(m.end(), candidate.end, candidate.cue, candidate.mention, COORDINATED_REPORT)
            return [first, *split_coordinated(text, rest, regions)]
    return [candidate]
