"""Mentions: the noun phrases that name a source around a cue ("the Turkish foreign minister", "Sergey Ivanov,
head of X,", "one of them"), found by the kind of each word rather than a parse."""

from __future__ import annotations

import re
from enum import Enum

from .layout import CLOSING_MARKS, strip_span, tokenize
from .lexicon import (
    ABBREVIATIONS,
    BEFORE_CUE,
    CAPITALISED_NON_NAMES,
    CONNECTORS,
    DETERMINERS,
    DOCUMENT_SOURCES,
    FINITE_MARKERS,
    FUNCTION_WORDS,
    LY_NOUNS,
    NAME_PARTICLES,
    ORG_ROLES,
    PARTICIPIAL_ASIDES,
    PARTICIPLES,
    PERSON_ROLES,
    POSSESSIVE_PRONOUNS,
    PREPOSITIONS,
    PRONOUNS,
    QUANTIFIERS,
    ROLE_WORDS,
    TIME_WORDS,
    TITLE_WORDS,
    UNIDENTIFIABLE,
)

# Arabic names keep their article in lower case inside a sentence ("Bashar al-Assad", "al-Sisi", "bin Salman"),
# and hasty copy lowers an elided particle ("Karen o'Malley", "d'Alema").
ARTICLE_SURNAME_RE = re.compile(r"(?:al|el|ad|an|ar|as|ash|at|az|bin|ibn|abu)-[A-Z]|[od]['’][A-Z]")
# A US party and state tag set off after a legislator's name ("Sen. Jim Risch, R-Idaho, said").
PARTY_TAG_RE = re.compile(r"[RDI]-[A-Z][\w.]*")
# A relative clause with no commas between its noun and the cue ("an official who worked on the file told").
RESTRICTIVE_RELATIVE_RE = re.compile(r"\s+(?:who|that|which)\s+[^\s,;:!?\"“”()][^,;:!?\"“”()]{0,120}$")
# "one of them said": a member of the group named before.
PARTITIVE_RE = re.compile(
    r"\b(?:one|two|three|some|several|many|most|all|none|each|both|neither|either)\s+of\s+(?:them|those)\s*$",
    re.IGNORECASE,
)
AGE_RE = re.compile(r"\d{1,3}-year-old")  # "the 64-year-old said": a description like "the minister"
SUBORDINATOR_RE = re.compile(r"\b(?:after|because|since|when|as|before|while|although|though|once)\s+")
# A restrictive modifier that ends an anonymous source ("according to an aide familiar with the talks").
SOURCE_MODIFIER_RE = re.compile(
    r"\s+(?:who\s|familiar\s+with|close\s+to|with\s+(?:direct\s+)?knowledge\s+of|briefed\s+on|involved\s+in"
    r"|speaking\s|asking\s)"
)
ANONYMOUS_HEADS = {"source", "sources"}
AGENT_PLURAL_RE = re.compile(r"[a-z]{3,}(?:ers|ors|ists|ians|ants|ents)")
MAX_APPOSITIVE_TOKENS = 30  # "X, who had been booed by ... in the first half, said" still fits


class WordKind(Enum):
    """What a word can be inside a source's noun phrase."""

    PRONOUN = "pronoun"
    DETERMINER = "determiner"
    CONNECTOR = "connector"  # "of", "and", name particles ("de", "van")
    ROLE = "role"  # "minister", "officials", "the 64-year-old"
    NAME = "name"  # a capitalised word
    MODIFIER = "modifier"  # a lower-case word that may qualify a role ("senior", "foreign")


HEADS = (WordKind.ROLE, WordKind.NAME)


def bare_word(word: str) -> str:
    """A word without surrounding punctuation or possessive; a final period stays on abbreviations ("U.S.")."""
    word = word.strip("\"“”‘’'«»()[]{},;:!?").removesuffix("’s").removesuffix("'s")
    if word.endswith(".") and not re.fullmatch(r"(?:[A-Za-z]\.)+", word) and word[:-1].lower() not in ABBREVIATIONS:
        word = word.rstrip(".")
    return word


def is_capitalised(word: str) -> bool:
    """A name-like word: capitalised, a surname behind a lower-case Arabic article ("al-Assad") or a code such
    as "G7"/"3M" (not an ordinal or a number)."""
    return bool(word) and (
        word[0].isupper()
        or bool(ARTICLE_SURNAME_RE.match(word))
        or (word[0].isdigit() and any(c.isupper() for c in word))
    )


def word_kind(word: str) -> WordKind | None:
    bare = bare_word(word.rstrip("."))
    low = bare.lower()
    if not bare:
        return None
    if low in PRONOUNS:
        return WordKind.PRONOUN
    if low in DETERMINERS:
        return WordKind.DETERMINER
    if low in CONNECTORS and bare not in NAME_PARTICLES:
        return WordKind.CONNECTOR
    if is_role(low) or low in UNIDENTIFIABLE or AGE_RE.fullmatch(low):
        return WordKind.ROLE
    if is_capitalised(bare):
        return None if bare in CAPITALISED_NON_NAMES else WordKind.NAME
    if bare.replace("-", "").isalpha() and low not in FUNCTION_WORDS:
        return WordKind.MODIFIER
    return None


def identifiable(text: str, span: tuple[int, int] | None, strict: bool = False) -> bool:
    """A mention that names a source: a pronoun, a name, a role ("officials", "the minister") or, unless
    ``strict`` (after "according to", where "the plan" or "the data" are no speakers), any definite
    description ("the coach said")."""
    if span is None:
        return False
    words = [bare_word(w) for w in text[span[0] : span[1]].split()]
    qualified = [w for w in words[:-1] if w.lower() not in DETERMINERS]
    # "sources" name nobody; "a senior government source", "diplomatic sources" are a journalist's known source
    if not words or words[-1].lower() in UNIDENTIFIABLE and not (qualified and words[-1].lower() in ANONYMOUS_HEADS):
        return False
    if (len(words) == 1 and words[0].lower() in PRONOUNS | POSSESSIVE_PRONOUNS.keys()) or PARTITIVE_RE.match(
        text, span[0], span[1]
    ):
        return True
    head = words[-1].lower()
    if any(is_capitalised(w) and w.lower() not in DETERMINERS for w in words) or is_role(head):
        return True
    if head in DOCUMENT_SOURCES:  # "according to a regulatory filing"
        return True
    return not strict and len(words) > 1 and words[0].lower() in DETERMINERS


def stands_before_cue(word: str) -> bool:
    """An adverb or auxiliary between a subject and its cue ("has also said", "had initially said")."""
    low = word.lower()
    return low in BEFORE_CUE or (low.isalpha() and low.endswith("ly") and len(low) > 4 and low not in LY_NOUNS)


def is_role(word: str) -> bool:
    """A lower-case role word, also plural ("commanders") or prefixed ("co-president", "vice-chair"), or a plural
    noun of people by what they do ("dealers", "residents", "campaigners")."""
    word = word.rpartition("-")[2]
    return word in ROLE_WORDS or word.removesuffix("s") in ROLE_WORDS or bool(AGENT_PLURAL_RE.fullmatch(word))


def np_before(text: str, lo: int, pos: int) -> tuple[int, int] | None:
    """The subject noun phrase that ends right before ``pos`` (a cue), past adverbs/auxiliaries ("X has also
    said") and an appositive ("Sergey Ivanov, head of X, said"). Lower-case modifiers are kept only where the
    phrase is bounded by punctuation or a determiner ("..., local media reported"; "the foreign minister")."""
    tokens = tokenize(text, max(lo, pos - 400), pos)
    i = len(tokens) - 1
    while i >= 0 and stands_before_cue(tokens[i][2]):
        i -= 1
    partitive = PARTITIVE_RE.search(text, max(lo, pos - 40), tokens[i][1]) if i >= 0 else None
    if partitive:
        return partitive.start(), partitive.end()
    relative = _restrictive_relative(text, lo, pos)
    if relative is not None:
        return np_before(text, lo, relative)
    if i >= 1 and tokens[i][2] in CAPITALISED_NON_NAMES and tokens[i - 1][2].lower() == "on":
        i -= 2  # "X on Tuesday said"
        while i >= 0 and stands_before_cue(tokens[i][2]):
            i -= 1
    if i >= 1 and re.fullmatch(r"\d{1,3}", tokens[i][2]) and tokens[i - 1][2].endswith(","):
        i -= 1  # "Ray Schultz, 72 said": an age whose closing comma went missing
    elif i >= 0 and tokens[i][2].endswith(","):
        i = _skip_appositive(tokens, i)
        # "a manager at a company that supplies the army, who asked not to be named, said"
        relative = _restrictive_relative(text, lo, tokens[i][1] - 1) if i is not None and i >= 0 else None
        if relative is not None:
            return np_before(text, lo, relative)
    elif i >= 1 and _party_tag_in_parentheses(tokens[i][2]):  # "Rep. X (D-N.Y.) said": X, not the tag
        i -= 1
    if i is None or i < 0 or tokens[i][2][-1] in CLOSING_MARKS + "\"'":  # '"...," said X': no subject before
        return None
    words: list[tuple[int, int, str]] = []  # right to left
    bounded = pos - 400 <= lo  # running out of words at the clause start bounds the phrase too
    for j in range(i, -1, -1):
        start, _, raw = tokens[j]
        if j < i and (re.search(r"[,;:!?\"”’»)\]—–-]$", raw) or ends_sentence(raw)):
            bounded = True
            break
        lead = len(raw) - len(raw.lstrip('"“‘«([—–'))
        core = raw[lead:].rstrip(",;:") if j == i else raw[lead:]
        kind = word_kind(core)
        if kind == WordKind.PRONOUN:
            return (start + lead, start + lead + len(core)) if j == i else None
        if kind is None:
            bounded = False
            break
        # a verb between two noun phrases ends the subject ("the agency quoted Rosa Mena as saying")
        if (
            kind == WordKind.MODIFIER
            and core.endswith(("ed", "ing"))
            and words
            and all(k == WordKind.NAME for _, _, k in words)
            and j >= 1
            and word_kind(tokens[j - 1][2]) in HEADS
        ):
            bounded = True
            break
        words.append((start + lead, start + lead + len(core), kind))
        before = j - 1  # the word before the phrase
        if lead or (kind == WordKind.DETERMINER and not (j >= 1 and word_kind(tokens[j - 1][2]) == WordKind.CONNECTOR)):
            bounded = True
            break
    if words and before >= 1 and tokens[before][2].lower() in PREPOSITIONS:
        holder = before - 2 if tokens[before - 1][2].lower() == "close" else before - 1
        if bare_word(tokens[before - 1][2]).lower() in UNIDENTIFIABLE:
            return None  # "some in Ankara argue": the source is "some", whoever they are
        head = bare_word(tokens[holder][2]).lower().removesuffix("s") if holder >= 0 else ""
        # a capitalised title before a place starts a name instead ("Ambassador to Spain Clara Ruiz said")
        if head in ROLE_WORDS and (tokens[holder][2].islower() or head in ORG_ROLES):
            # "an official in Ankara said", "an aide close to the president said", "the embassy in Ankara
            # said": the person or organisation, not the place
            return np_before(text, lo, tokens[holder][1])
    words.reverse()
    first = 0
    while first < len(words) and (
        words[first][2] == WordKind.CONNECTOR or (words[first][2] == WordKind.MODIFIER and not bounded)
    ):
        first += 1
    last = len(words)
    while last > first and words[last - 1][2] not in (
        WordKind.NAME,
        WordKind.ROLE,
        WordKind.MODIFIER if words[first][2] == WordKind.DETERMINER else WordKind.ROLE,
    ):
        last -= 1
    return (words[first][0], words[last - 1][1]) if last > first else None


def _restrictive_relative(text: str, lo: int, pos: int) -> int | None:
    """Where a restrictive relative clause that runs up to ``pos`` starts: "an official who asked not to be named",
    "a manager at a company that supplies the army"; "that" after a verb opens a reported clause instead."""
    relative = RESTRICTIVE_RELATIVE_RE.search(text, max(lo, pos - 150), pos)
    before = text[max(lo, relative.start() - 40) : relative.start()].split() if relative else []
    if relative and before and word_kind(before[-1]) in HEADS + (WordKind.MODIFIER,) and not before[-1].endswith(","):
        return relative.start()
    return None


def ends_sentence(word: str) -> bool:
    return (
        word.endswith(".")
        and bare_word(word).lower().rstrip(".") not in ABBREVIATIONS
        and not re.fullmatch(r"(?:[A-Z]\.)+", word)
    )


def _skip_appositive(tokens: list[tuple[int, int, str]], comma: int) -> int | None:
    """Index of the token that ends the subject before a cue preceded by a comma: the name before an appositive
    ("X, a spokesman for Y, said" -> X), or a name set off after its description ("the prime minister, X,
    said" -> X). None when the comma ends something else (a trailing attribution's content)."""
    for j in range(comma - 1, max(-1, comma - MAX_APPOSITIVE_TOKENS), -1):
        if tokens[j][2].endswith(","):
            segment = [bare_word(w) for _, _, w in tokens[j + 1 : comma + 1]]
            first = segment[0].lower()
            name = bare_word(tokens[j][2])
            # "the prime minister, X, said" / "Russia's ambassador to Turkey, X, said": the name is the subject.
            description = [bare_word(w).lower() for _, _, w in tokens[max(0, j - 3) : j + 1]]
            capitalised_segment = all(is_capitalised(w) or w.lower() in CONNECTORS for w in segment)
            affiliation = first in ("of", "from", "at")  # "X, of the Royal Institute, said"
            party_tag = bool(PARTY_TAG_RE.fullmatch(segment[0]))  # "Chairman X, R-Ga., said": X
            if capitalised_segment and not affiliation and not party_tag and any(w in ROLE_WORDS for w in description):
                return comma
            looks_appositive = (
                first in DETERMINERS
                or first in ROLE_WORDS
                or first in ("who", "whose", "which")
                or affiliation
                or (
                    party_tag
                    or first.isdigit()
                    or first.capitalize() in TITLE_WORDS
                    or any(w.lower().rpartition("-")[2] in PERSON_ROLES for w in segment[:3])
                    or _participial_aside(segment)
                    or segment[1:2]
                    and segment[1].lower() in DETERMINERS
                )
            )
            # "Jane Doe, 45, a nurse, said", "X, D-Md., a co-sponsor, said", "X, head of Y (SSB), which ..., said"
            if looks_appositive and (name.isdigit() or PARTY_TAG_RE.fullmatch(name) or tokens[j][2].startswith("(")):
                outer = _skip_appositive(tokens, j)
                # "Sen. X (R-Idaho), chair of Y, said": no comma before a party tag in parentheses
                return j - 1 if outer is None and _party_tag_in_parentheses(tokens[j][2]) else outer
            if looks_appositive and word_kind(name) in (WordKind.NAME, WordKind.ROLE):
                return j
            # two asides in a row: "X, the assistant secretary of state, who testified ..., told": X
            if looks_appositive and first in ("who", "whose", "which") and (outer := _skip_appositive(tokens, j)):
                return outer
            if not looks_appositive and capitalised_segment and is_capitalised(name):
                continue  # a list inside a name ("the Health, Labor and Pensions Committee")
            return None
        if re.search(r"[;:.!?]$", tokens[j][2]):
            return None
    return None


def _party_tag_in_parentheses(word: str) -> bool:
    return word.startswith("(") and word.rstrip(",").endswith(")") and bool(PARTY_TAG_RE.fullmatch(bare_word(word)))


def _participial_aside(words: list[str]) -> bool:
    """ "speaking on condition of anonymity", "asked about the talks", "reached by phone": set off between a
    subject and its cue."""
    first = words[0].lower()
    second = words[1].lower() if len(words) > 1 else ""
    return (
        first in PARTICIPLES
        or first in PARTICIPIAL_ASIDES
        or (
            # "X, prosecuting, told the court"; "X, briefing journalists, said"
            first.endswith("ing")
            and (
                not second
                or second in PREPOSITIONS
                or second in DETERMINERS
                or (words[0].islower() and second.isalpha() and second.islower() and len(words) <= 6)
            )
        )
    )


def np_after(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """The noun phrase that starts at ``pos`` (after an inverted cue or "according to")."""
    tokens = tokenize(text, pos, min(end, pos + 300))
    collected = []
    for index, (s, e, raw) in enumerate(tokens):
        kind = word_kind(raw)
        if index == 0 and bare_word(raw).lower() in PRONOUNS:
            return s, s + len(raw.rstrip(",.;:!?"))
        if kind is None or (
            kind == WordKind.DETERMINER and index > 0 and word_kind(tokens[index - 1][2]) != WordKind.CONNECTOR
        ):
            break
        stop = re.search(r"[,;:!?\"”’»)\]]$", raw) or (
            raw.endswith(".") and bare_word(raw).lower().rstrip(".") not in ABBREVIATIONS
        )
        # after the head, a verb form ends the phrase ("the company's spokesman declined to comment")
        if (
            kind == WordKind.MODIFIER
            and any(word_kind(w) in HEADS for _, _, w in collected)
            and (bare_word(raw).endswith(("ed", "ing")) or bare_word(raw) in FINITE_MARKERS)
        ):
            break
        collected.append((s, e - (len(raw) - len(raw.rstrip(',;:.!?"”’»)]'))), raw))
        if stop:
            break
    head_kinds = (
        (WordKind.NAME, WordKind.ROLE, WordKind.MODIFIER)
        if collected and word_kind(collected[0][2]) == WordKind.DETERMINER
        else (WordKind.NAME, WordKind.ROLE)
    )
    while collected and word_kind(collected[-1][2]) not in head_kinds:
        collected.pop()
    if not collected:
        return None
    return collected[0][0], collected[-1][1]


def sentence_subject(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The subject of a sentence, after a leading adverbial ("In March, X ...")."""
    head = text[start : min(end, start + 80)]
    comma = head.find(",")
    first = head.split(maxsplit=1)[0] if head.strip() else ""
    # "She left early, adding ..." and "Many analysts, however, argue ...": a pronoun or quantifier is the subject
    opens_subject = bare_word(first).lower() in PRONOUNS | QUANTIFIERS
    if (
        0 < comma < 60
        and not opens_subject
        and (bare_word(first) in CAPITALISED_NON_NAMES or first.lower() in TIME_WORDS)
    ):
        start = strip_span(text, start + comma + 1, end)[0]
    return np_after(text, start, end)


def subordinate_subject(text: str, start: int, pos: int) -> tuple[int, int] | None:
    """The subject of the last subordinate clause before ``pos`` ("after the airline cut its forecast")."""
    openers = list(SUBORDINATOR_RE.finditer(text, max(start, pos - 300), pos))
    if not openers:
        return None
    tokens = tokenize(text, openers[-1].end(), pos)
    words = []
    for k, (s, e, raw) in enumerate(tokens):
        following = word_kind(tokens[k + 1][2]) if k + 1 < len(tokens) else None
        # a verb ends the subject: an auxiliary, a past tense, or a word followed by its object's determiner
        if words and (
            bare_word(raw).lower() in FINITE_MARKERS
            or (raw.islower() and raw.endswith("ed"))
            or following in (WordKind.DETERMINER, WordKind.PRONOUN)
        ):
            break
        if word_kind(raw) not in (WordKind.DETERMINER, WordKind.MODIFIER, WordKind.NAME, WordKind.ROLE):
            return None
        words.append((s, e))
    return (words[0][0], words[-1][1]) if words else None
