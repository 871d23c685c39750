"""Speaker resolution: turn each quote's source mention into a canonical name (citron's coreference step).

A name maps to its fullest form in the document ("Costa" -> "Maria Elena Costa"), a pronoun to the most recent
person named before it, a description ("the Turkish president", "the ministry") to the entity introduced with that
title, and a quote without a cue of its own inherits the previous quote's speaker."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..data import Quote, Speaker
from .layout import WORD_RE, Layout, gaps
from .lexicon import (
    CAPITALISED_NON_NAMES,
    CONNECTORS,
    CUE_FORMS,
    DETERMINERS,
    GENDERED_TITLES,
    INDEFINITE,
    ISSUED_DOCUMENTS,
    NAME_PARTICLE_WORDS,
    NON_PERSON_HEADS,
    ORG_PREPOSITIONS,
    ORG_ROLES,
    ORG_WORDS,
    PERSON_ROLES,
    PLACE_PREPOSITIONS,
    POSSESSIVE_PRONOUNS,
    PREPOSITIONS,
    PRONOUNS,
    RELATIVES,
    ROLE_WORDS,
    TITLE_WORDS,
)
from .mentions import AGE_RE, ARTICLE_SURNAME_RE, PARTITIVE_RE, PARTY_TAG_RE, bare_word, is_capitalised, np_before
from .rules import SPEAKER_TURN

# "X issued a statement", "X posted on social media", "X wrote in a letter": the issuer of a document cited later.
ISSUED_RE = re.compile(
    r"\b(?:issued|released|published|posted|sent|signed|put out|wrote|tweeted)\b(?:\s+(?:a|an|the|its|his|her|their|"
    r"on|in|to)\b)?(?:\s+[\w-]+){0,3}?\s+(?:statement|letter|tweet|post|message|note|communique|communiqué|video|"
    r"declaration|readout)s?\b"
)
# The party a US party tag's letter stands for ("D-Conn."), as a role: "the Connecticut Democrat".
PARTY_ROLES = {"D": "democrat", "R": "republican", "I": "independent"}
APPOSITIVE_WORDS = 8  # "X, the chief executive of Nile Rail," fits; a longer stretch is no appositive
LOOKBACK = 200  # mentions searched back for an antecedent (keeps resolution linear in the text)
LOOKAHEAD = 600  # characters within which a lede's description is followed by the name
PARAGRAPH_REACH = 2000  # how far back a description looks for its paragraph's start (bounds the work)
OWNER_OF_ROLE_RE = re.compile(r"['’]s\s+(?:[a-z-]+\s+){0,2}?(?:" + "|".join(sorted(PERSON_ROLES | RELATIVES)) + r")\b")
# "Ellison said she had ...": the pronoun right after a person's own cue tells the person's gender.
GENDERED_RE = re.compile(r"\b(?:(he|him|his|himself)|(she|her|hers|herself))\b", re.IGNORECASE)
# "pressed her.", "told him that": an object pronoun, not a possessive ("her column")
OBJECT_PRONOUN_RE = re.compile(
    r"(?:him|her)\b(?=\s*[,.;:!?]|\s+(?:on|in|at|to|for|with|about|again|and|that|if|whether|back|out|off)\b)|him\b",
    re.IGNORECASE,
)
SELF_REPORT_RE = re.compile(r"[^.!?\"“”‘’\n]{0,60}?\b(?:" + "|".join(CUE_FORMS) + r")\s+(?:that\s+)?(he|she)\b")


def is_acronym(word: str) -> bool:
    letters = word.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


@dataclass
class NameRun:
    """A run of capitalised words outside quotations, split into its title part and its person-name part."""

    start: int
    end: int
    words: list[str]
    person: list[str]  # the name after the last title word, e.g. ["Maria", "Elena", "Costa"]
    titles: set[str]  # lower-case title and role words around the name ("president", "spokeswoman")
    modifiers: set[str]  # other words of the title context ("turkish", "turkey", "pentagon")
    organisation: bool
    place: bool = False  # "in El Paso": a run that can be no one's name
    age: str | None = None  # "Graham Pellow, 58,"


@dataclass
class EntityIndex:
    """Names in a document, clustered by their last word, with their positions and titles."""

    text: str
    runs: list[NameRun] = field(default_factory=list)
    fullest: dict[str, str] = field(default_factory=dict)
    titles: dict[str, set[str]] = field(default_factory=dict)
    modifiers: dict[str, set[str]] = field(default_factory=dict)
    persons: set[str] = field(default_factory=set)
    positions: list[int] = field(default_factory=list)  # starts of person mentions, in text order
    ends: list[int] = field(default_factory=list)  # their ends
    subjects: set[int] = field(default_factory=set)  # indexes of the mentions that open a sentence
    sentence_starts: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    reported: list[bool] = field(default_factory=list)  # mentions inside a quote's content
    owners: list[bool] = field(default_factory=list)  # "Ribera's predecessor": the mention names someone else
    ages: dict[str, str] = field(default_factory=dict)  # "Halvorsen, 64," -> "64"
    genders: dict[str, str] = field(default_factory=dict)  # "he" / "she", where the text tells

    @classmethod
    def build(cls, layout: Layout, quotes: list[Quote]) -> EntityIndex:
        text = layout.text
        index = cls(text)
        # Titled names inside quotations ("President Costa") tell who is a person; they are never antecedents.
        quoted: list[NameRun] = []
        for para in layout.paragraphs:
            index.sentence_starts.extend(start for start, _ in para.sentences)
            if para.prose:
                for start, end in gaps(para.start, para.end, para.regions):
                    index.runs.extend(_name_runs(text, start, end))
                for region in para.regions:
                    quoted.extend(run for run in _name_runs(text, region.start, region.end) if run.titles)
        for run in index.runs + quoted:
            if run.organisation or run.place or not run.person:
                continue
            key = _key(run.person[-1])
            if len(run.person) > len(index.fullest.get(key, "").split()):
                index.fullest[key] = " ".join(run.person)
            index.titles.setdefault(key, set()).update(run.titles)
            index.modifiers.setdefault(key, set()).update(run.modifiers)
            if run.titles or len(run.person) >= 2 or run.age:  # "Their daughter, Elif, 26,"
                index.persons.add(key)
            if run.age:
                index.ages[key] = run.age
        sentence_starts = set(index.sentence_starts)
        quote_starts = [quote.start for quote in quotes]
        for run in index.runs:
            if run.person and not run.organisation and _key(run.person[-1]) in index.persons:
                if run.start in sentence_starts and not text[run.start : run.end].endswith(("'s", "’s")):
                    index.subjects.add(len(index.positions))  # a possessive opens its owner's description
                index.positions.append(run.start)
                index.ends.append(run.end)
                index.keys.append(_key(run.person[-1]))
                k = bisect.bisect_right(quote_starts, run.start) - 1
                # a name that starts inside a quote is reported, even if the run takes in the final period
                index.reported.append(k >= 0 and run.start < quotes[k].end)
                index.owners.append(bool(OWNER_OF_ROLE_RE.match(text, run.end - 2)))
        pronouns = [
            match
            for para in layout.paragraphs
            if para.prose
            for start, end in gaps(para.start, para.end, para.regions)
            for match in GENDERED_RE.finditer(text, start, end)
        ]
        index._learn_genders(quoted, pronouns)
        return index

    def _learn_genders(self, quoted: list[NameRun], pronouns: list[re.Match]) -> None:
        """Gender from gendered titles ("Ms", "spokeswoman") or, by majority, from the pronouns around a person:
        the one after their own cue ("Ellison said she ..."), the one that goes on from a sentence naming only
        them ("Ellison teaches in Ankara. In 2017 she wrote ..."), and an object pronoun in the sentence they
        open, which is someone else ("Dunmore pressed her.")."""
        votes: dict[str, dict[str, int]] = {}
        for key, pronoun in self._pronoun_votes(pronouns):
            count = votes.setdefault(key, {"he": 0, "she": 0})
            count[pronoun] += 1
        for run in self.runs + quoted:
            if run.organisation or not run.person:
                continue
            key = _key(run.person[-1])
            for pronoun, titles in GENDERED_TITLES.items():
                if any(t.rstrip(".") in titles for t in run.titles):
                    self.genders[key] = pronoun
            m = SELF_REPORT_RE.match(self.text, run.end)
            if m:
                count = votes.setdefault(key, {"he": 0, "she": 0})
                count[m.group(1).lower()] += 1
        for key, count in votes.items():
            if key not in self.genders and count["he"] != count["she"]:
                self.genders[key] = max(count, key=count.get)

    def _pronoun_votes(self, pronouns: list[re.Match]) -> Iterator[tuple[str, str]]:
        by_sentence: dict[int, list[re.Match]] = {}
        for match in pronouns:
            by_sentence.setdefault(bisect.bisect_right(self.sentence_starts, match.start()) - 1, []).append(match)
        named: dict[int, list[int]] = {}  # sentence -> indexes of its person mentions
        for i, pos in enumerate(self.positions):
            named.setdefault(bisect.bisect_right(self.sentence_starts, pos) - 1, []).append(i)
        for sentence, matches in by_sentence.items():
            before = named.get(sentence - 1, [])
            first_named = min((self.positions[i] for i in named.get(sentence, [])), default=len(self.text))
            if (
                before
                and len({self.keys[i] for i in before}) == 1
                and sentence - 1 not in by_sentence
                and matches[0].start() < first_named
            ):
                yield self.keys[before[0]], _gender(matches[0])
            for i in named.get(sentence, []):
                if i in self.subjects:
                    others = [self.positions[k] for k in named[sentence] if self.keys[k] != self.keys[i]]
                    until = min((p for p in others if p > self.positions[i]), default=len(self.text))
                    for match in matches:
                        if self.ends[i] < match.start() < until and OBJECT_PRONOUN_RE.match(self.text, match.start()):
                            yield self.keys[i], "she" if _gender(match) == "he" else "he"

    def subject_before(self, pos: int, pronoun: str) -> str | None:
        """The person who opens the sentence of ``pos`` or the one before it: "Menendez, a critic of Costa,
        spoke on the floor. He said ..." is about Menendez, the subject, not Costa, the latest name."""
        k = bisect.bisect_right(self.sentence_starts, pos) - 2
        since = self.sentence_starts[k] if k >= 0 else 0
        first = bisect.bisect_left(self.positions, since)
        for i in range(bisect.bisect_left(self.positions, pos) - 1, first - 1, -1):
            if i in self.subjects and self.genders.get(self.keys[i], pronoun) == pronoun:
                return self.fullest[self.keys[i]]
        return None

    def person_before(
        self,
        pos: int,
        role: str | None = None,
        modifiers: set[str] = frozenset(),
        *,
        age: str | None = None,
        pronoun: str | None = None,
        since: int = 0,
    ) -> str | None:
        """Most recent person named before ``pos`` and after ``since``, with ``role`` among their titles, not known
        to be of another ``age`` or gender than ``pronoun`` says, preferring a modifier match ("the Turkish
        president") and a known ``age``."""
        k = self._mention_before(pos, role, modifiers, age, pronoun, since)
        return None if k is None else self.fullest[self.keys[k]]

    def mention_before(self, pos: int) -> Speaker | None:
        """The most recent person mention before ``pos`` as a speaker."""
        k = self._mention_before(pos)
        return None if k is None else self._speaker(k)

    def subject_introducing(self, pos: int, since: int) -> Speaker | None:
        """The person who opens the sentence right before ``pos`` (a quotation with no cue), if it starts after
        ``since``."""
        i = bisect.bisect_left(self.positions, pos) - 1
        if i < 0 or i not in self.subjects or self.positions[i] < since or self.reported[i]:
            return None
        following = bisect.bisect_right(self.sentence_starts, self.positions[i])
        if following < len(self.sentence_starts) and self.sentence_starts[following] < pos - 2:
            return None
        return self._speaker(i)

    def _speaker(self, k: int) -> Speaker:
        start, end = self.positions[k], self.ends[k]
        return Speaker(start, end, self.text[start:end], self.fullest[self.keys[k]])

    def person_opening_after(self, pos: int) -> str | None:
        """The person named first in a paragraph shortly after ``pos``: a wire lede's description ("Greece's
        prime minister said ...") is named at the start of the next paragraph."""
        first = bisect.bisect_right(self.positions, pos)
        for k in range(first, len(self.positions)):
            start = self.positions[k]
            if start - pos > LOOKAHEAD:
                break
            if start == 0 or self.text[start - 1] == "\n":
                return self.fullest[self.keys[k]]
        return None

    def _mention_before(
        self,
        pos: int,
        role: str | None = None,
        modifiers: set[str] = frozenset(),
        age: str | None = None,
        pronoun: str | None = None,
        since: int = 0,
    ) -> int | None:
        fallback = None
        last = bisect.bisect_left(self.positions, pos) - 1
        for i in range(last, max(-1, last - LOOKBACK), -1):
            key = self.keys[i]
            if self.positions[i] < since:
                break
            if self.owners[i]:
                continue
            # "He said Ankara would call Ivanov. "...," he said": a name in the report is not who speaks next
            if pronoun is not None and self.reported[i]:
                continue
            if (
                (role is not None and role not in self.titles.get(key, ()))
                or (age is not None and self.ages.get(key, age) != age)
                or (pronoun is not None and self.genders.get(key, pronoun) != pronoun)
            ):
                continue
            if (not modifiers or any(_related(m, n) for m in modifiers for n in self.modifiers.get(key, ()))) and (
                age is None or self.ages.get(key) == age
            ):
                return i
            fallback = i if fallback is None else fallback
        return fallback

    def organisation_before(self, pos: int, head: str) -> str | None:
        """Most recent capitalised organisation name containing ``head`` ("the ministry" -> "Defence Ministry")."""
        last = bisect.bisect_left(self.runs, pos, key=lambda run: run.start) - 1
        for i in range(last, max(-1, last - LOOKBACK), -1):
            run = self.runs[i]
            if head in (w.lower() for w in run.words):
                return self.text[run.start : run.end].strip(' ,;:.!?"”’)').removeprefix("The ")
        return None

    def organisation_subject_before(self, pos: int) -> str | None:
        """The organisation that opens the sentence of ``pos`` or the one before it, as ``subject_before`` does
        for persons."""
        k = bisect.bisect_right(self.sentence_starts, pos) - 2
        since = self.sentence_starts[k] if k >= 0 else 0
        for i in range(bisect.bisect_left(self.runs, pos, key=lambda run: run.start) - 1, -1, -1):
            run = self.runs[i]
            if run.start < since:
                break
            sentence = self.sentence_starts[bisect.bisect_right(self.sentence_starts, run.start) - 1]
            if run.organisation and self.text[sentence : run.start].strip().lower() in ("", "the"):
                return self.text[run.start : run.end].strip(' ,;:.!?"”’)').removeprefix("The ")
        return None

    def canonical(self, words: list[str]) -> str:
        return self.fullest.get(_key(words[-1]), " ".join(words))


def _gender(pronoun: re.Match) -> str:
    return "he" if pronoun.group(1) else "she"


def _key(word: str) -> str:
    key = bare_word(word).rstrip(".")
    lowered = key[:1].lower() + key[1:]
    return lowered if ARTICLE_SURNAME_RE.match(lowered) else key  # "Al-Assad" opening a sentence is "al-Assad"


def _related(a: str, b: str) -> bool:
    """Same stem for a description modifier and a title word ("turkish" / "turkey")."""
    return a == b or (len(a) >= 4 and len(b) >= 4 and a[:4] == b[:4])


def _name_runs(text: str, start: int, end: int) -> list[NameRun]:
    tokens = [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text, start, end)]
    runs = []
    i = 0
    while i < len(tokens):
        word = bare_word(tokens[i][2])
        if (
            not is_capitalised(word)
            or word in CAPITALISED_NON_NAMES
            or word.lower() in DETERMINERS
            or any(c.isdigit() for c in word)
            or PARTY_TAG_RE.fullmatch(word)  # "X, D-Calif., said": the party and state, not another person
            or ADJECTIVE_COMPOUND_RE.fullmatch(word)
        ):
            i += 1
            continue
        j = i
        words = []
        while j < len(tokens):
            raw = tokens[j][2]
            bare = bare_word(raw)
            if j > i and raw[0] in '"“‘«([':
                break
            if (
                is_capitalised(bare)
                and not any(c.isdigit() for c in bare)
                and (bare not in CAPITALISED_NON_NAMES or j > i)
                and not ADJECTIVE_COMPOUND_RE.fullmatch(bare)
            ):
                words.append(bare)
            elif (
                bare.lower() in CONNECTORS - {"and", "&"}
                and j + 1 < len(tokens)
                and is_capitalised(bare_word(tokens[j + 1][2]))
                and not re.search(r"[,;:.!?\"”’)]$", raw)
            ):
                words.append(bare)
            else:
                break
            j += 1
            if re.search(r"[,;:!?\"“”‘’«»()\[\]]", raw[len(raw) - len(raw.lstrip('"“‘«([')) :]) or (
                raw.endswith(".") and not is_acronym(raw) and len(bare) > 3
            ):
                break
        if words:
            runs.append(_describe_run(text, tokens, i, j, words))
        i = max(j, i + 1)
    return runs


def _describe_run(text: str, tokens, i: int, j: int, words: list[str]) -> NameRun:
    person = _person_part(words)
    last_title = len(words) - len(person) - 1
    titles = {w.lower() for w in words[: last_title + 1] if w.lower() in PERSON_ROLES or w in TITLE_WORDS}
    modifiers = {w.lower() for w in words[: last_title + 1]}
    previous = bare_word(tokens[i - 1][2]).lower() if i > 0 else ""
    # "Council on Foreign Relations", "Bank of England": a run after a preposition that follows a capitalised
    # word continues an organisation's name.
    continues_name = previous in ORG_PREPOSITIONS and i > 1 and is_capitalised(bare_word(tokens[i - 2][2]))
    # A titled name is judged on the name alone ("Senate Minority Leader Walter Brandt" is a person).
    name = person if titles and person else words
    # "the X" or "Committee on X" is an organisation unless a title leads to a full personal name ("the State
    # Duma Committee on Defense Andrei Kartapolov").
    titled_person = titles and len(person) >= 2
    organisation = (
        any(w in ORG_WORDS or re.search(r"\.[a-z]", w) for w in name)
        or not titled_person
        and (previous in DETERMINERS - {"his", "her"} or continues_name)
    )
    # "Elif, 26," is a person of 26; "the deputy for Izmir, 52," is the deputy
    aged = j < len(tokens) and tokens[j - 1][2].endswith(",") and previous not in PREPOSITIONS
    age = re.fullmatch(r"(\d{1,3}),", tokens[j][2]) if aged else None
    # Lower-case roles right before the name ("ministry spokeswoman Ana Reyes").
    if (
        i > 0
        and bare_word(tokens[i - 1][2]).lower() in PERSON_ROLES
        and not re.search(r"[,;:.!?\"”]$", tokens[i - 1][2])
    ):
        titles.add(bare_word(tokens[i - 1][2]).lower())
        for k in range(i - 1, max(-1, i - 4), -1):
            if k < i - 1 and re.search(r"[,;:.!?\"”]$", tokens[k][2]):
                break
            modifiers.add(bare_word(tokens[k][2]).lower())
    # A US lawmaker's party tag ("X, D-Conn.," / "X (R-Idaho)") makes "the Connecticut Democrat" refer to them.
    if j < len(tokens) and PARTY_TAG_RE.fullmatch(tag := bare_word(tokens[j][2])):
        titles.add(PARTY_ROLES[tag[0]])
    # An appositive after the name ("Sergey Ivanov, head of X," / 'said X, President of Y.'), closed within a
    # few words ("... to Russia, the minister shakes his head." is a new clause's subject).
    if j - 1 < len(tokens) and tokens[j - 1][2].endswith(","):
        appositive = [bare_word(raw) for _, _, raw in tokens[j : j + APPOSITIVE_WORDS]]
        ends = (",", ".") if previous in CUE_FORMS else (",",)
        closing = next(
            (k for k, (_, _, raw) in enumerate(tokens[j : j + APPOSITIVE_WORDS]) if raw.endswith(ends)), None
        )
        if closing is not None:
            titles.update(
                w.lower()
                for w in appositive[: closing + 1]
                if w.lower() in PERSON_ROLES or w in TITLE_WORDS or w.lower() in PARTY_ROLES.values()
            )
            modifiers.update(w.lower() for w in appositive[: closing + 1])
    # a person's name never spans a possessive ("Turkey's Russian missiles" names no one)
    owners = [k for k, (_, _, raw) in enumerate(tokens[i : j - 1]) if raw.endswith(("'s", "’s"))]
    if owners and not organisation:
        person = _person_part(words[owners[-1] + 1 :])
    # but "at Cengiz Yalvac's shop" names its owner, and "in Antalya Andrei Voronin" a place and then a person
    place = (
        not titles
        and previous in PLACE_PREPOSITIONS
        and len(words) <= 2
        and not tokens[j - 1][2].endswith(("'s", "’s"))
    )
    return NameRun(
        tokens[i][0],
        tokens[j - 1][1],
        words,
        person,
        titles,
        modifiers,
        organisation,
        place,
        age.group(1) if age else None,
    )


# "Russian-made", "Ankara-based", "US-led": a capitalised adjective, not a name's first word.
ADJECTIVE_COMPOUND_RE = re.compile(r"[A-Z][\w.]*-[a-z]+")
# A personal name set off by commas right after a description ("a spokesman for the embassy, Kaan Tezerdi,").
APPOSITIVE_NAME_RE = re.compile(r",\s+([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,3}),")


def resolve(index: EntityIndex, speaker: Speaker, previous: list[Speaker], follows_quote: bool = False) -> str:
    """The canonical name for a source mention (``follows_quote``: the mention comes after its quote)."""
    words = [bare_word(w) for w in speaker.text.split()]
    words = [w for w in words if w]
    # a transcript's "MS ORTAGUS" or "RUIZ" (a surname the text names), a caption's "ISMAIL DEMIR"
    if all(w.isupper() for w in words) and (len(words) > 1 or words[0].capitalize() in index.fullest):
        words = [w.capitalize() for w in words]
    if not words:
        return speaker.text
    lowered = [w.lower() for w in words]
    if len(lowered) == 1:  # "In his view, ...": the possessive's pronoun
        lowered = [POSSESSIVE_PRONOUNS.get(lowered[0], lowered[0])]
    if (len(words) == 1 and lowered[0] in PRONOUNS) or PARTITIVE_RE.match(speaker.text):
        if lowered[0] in ("he", "she"):  # else the last speaker, a person the text names without a title
            return (
                index.subject_before(speaker.start, lowered[0])
                or _described_speaker_continues(index, speaker, lowered[0], previous)
                or index.person_before(speaker.start, pronoun=lowered[0])
                or (previous[-1].name if previous else speaker.text)
            )
        if lowered[0] == "it":  # "The ministry issued a statement. It said ...": the organisation just named
            organisation = index.organisation_subject_before(speaker.start)
            if organisation:
                return organisation
        # "they", "one of them": the group that spoke last
        groups = (s.name for s in previous[: -LOOKBACK - 1 : -1] if _key(s.name.split()[-1]) not in index.persons)
        return next(groups, speaker.text)
    if "and" in lowered or "&" in lowered:
        return speaker.text
    # "A spokesman for the embassy, Kaan Tezerdi, said": the name the description is in apposition to
    described_role = any(w.lower() in PERSON_ROLES or w in TITLE_WORDS for w in words)
    if described_role and (named := APPOSITIVE_NAME_RE.match(index.text, speaker.end)):
        person = _person_part(named.group(1).split())
        if len(person) >= 2 and not any(w in ORG_WORDS for w in person):
            return index.canonical(person)
    head = lowered[-1]
    if head.rpartition("-")[2] in PERSON_ROLES:  # "vice-president", "co-founder"
        head = head.rpartition("-")[2]
    party_member = head in PARTY_ROLES.values() and lowered[0] == "the"  # "the Oregon Democrat"
    capitals = [w for w in words if is_capitalised(w) and w.lower() not in DETERMINERS]
    if lowered[0] in INDEFINITE:  # "a senior official", "an aide": an unnamed source, not someone named nearby
        # but "X issued a statement saying ...": the statement is X's
        issuer = _issuing_subject(index, speaker, previous, same_sentence=True) if head in ISSUED_DOCUMENTS else None
        return issuer or _as_written(speaker)
    if AGE_RE.fullmatch(head) and lowered[0] in DETERMINERS:  # "the 64-year-old": the person of that age
        return index.person_before(speaker.start, age=head.split("-")[0]) or _as_written(speaker)
    # "the mum-of-three", "the teenager": a description of a person the text names nearby, like a role
    described = lowered[0] == "the" and len(words) > 1 and words == lowered and head not in NON_PERSON_HEADS
    if (
        described
        or party_member
        or head in PERSON_ROLES
        and (lowered[0] in DETERMINERS or speaker.text.split()[0].endswith(("'s", "’s")))
    ):
        modifiers = {w for w in lowered[1:-1]}
        # a description the titles do not explain ("the Labour chief") is the person its paragraph just named
        paragraph = _paragraph_start(index.text, speaker.start)
        return (
            index.person_before(speaker.start, role=head, modifiers=modifiers)
            or _same_description(speaker, head, previous)
            or index.person_before(speaker.start, since=paragraph)
            # a lede's description comes before the name; one after its quote refers back
            or (None if follows_quote else index.person_opening_after(speaker.end))
            # or the one the previous paragraph named ("... Ryabkov said.\n"We ...," the senior diplomat said")
            or index.person_before(speaker.start, since=_previous_paragraph_start(index.text, paragraph))
            # or the person who spoke in the previous paragraph ('X spoke. "A," he said. "B," the veteran said.')
            or _person_spoke_since(index, previous, _previous_paragraph_start(index.text, paragraph))
            or _as_written(speaker)
        )
    if head in ISSUED_DOCUMENTS and lowered[0] in DETERMINERS and len(words) <= 3:
        return _issuer(index, speaker, lowered[0], previous) or _as_written(speaker)
    if head in ORG_ROLES and not any(w[0].isupper() for w in words[1:]):
        return (
            index.organisation_before(speaker.start, head)
            or _organisation_spoke_last(index, previous)
            or _as_written(speaker)
        )
    if not capitals:
        return _as_written(speaker)
    person = _person_part(words)
    if (
        not person
        or any(w in ORG_WORDS for w in person)
        or (lowered[0] in DETERMINERS and len(person) == len(words) - 1)
    ):
        return _as_written(speaker)
    return index.canonical(person)


def _organisation_spoke_last(index: EntityIndex, previous: list[Speaker]) -> str | None:
    """ "Apple said it would appeal. ... the company said": a description whose head no organisation's name
    contains is the named organisation that spoke last (a capitalised name known to be no person)."""
    if not previous:
        return None
    name = previous[-1].name
    words = name.split()
    named = words and is_capitalised(words[0]) and words[0].lower() not in DETERMINERS
    if named and words[-1].lower() not in ROLE_WORDS and _key(words[-1]) not in index.persons:
        return name
    return None


def _described_speaker_continues(
    index: EntityIndex, speaker: Speaker, pronoun: str, previous: list[Speaker]
) -> str | None:
    """'A senior official in Ankara said ... "...," he said': the pronoun goes on with a source described (not
    named) that spoke last in its paragraph, unless someone has been named since."""
    if not previous or speaker.start - previous[-1].end > PARAGRAPH_REACH:
        return None
    last = previous[-1]
    words = [bare_word(w).lower() for w in last.text.split()]
    if len(words) < 2 or words[-1] not in PERSON_ROLES or words[0] not in DETERMINERS | INDEFINITE:
        return None
    paragraph = _paragraph_start(index.text, speaker.start)
    named = index.person_before(speaker.start, pronoun=pronoun, since=max(last.end, paragraph))
    return last.name if last.start >= paragraph and named is None else None


def _issuer(index: EntityIndex, speaker: Speaker, determiner: str, previous: list[Speaker]) -> str | None:
    """Who issued "the statement", "his letter", "its post": the owner of a possessive, else the subject of the
    latest "X issued a statement" / "X posted on X" before it, else the source that spoke last."""
    if determiner in POSSESSIVE_PRONOUNS:
        return index.person_before(speaker.start, pronoun=POSSESSIVE_PRONOUNS[determiner])
    if determiner == "its":
        return index.organisation_subject_before(speaker.start)
    return _issuing_subject(index, speaker, previous) or (previous[-1].name if previous else None)


def _issuing_subject(index: EntityIndex, speaker: Speaker, previous: list[Speaker], same_sentence: bool = False):
    """The subject of the latest "X issued a statement" / "X posted on X" before the mention (in its own sentence
    when ``same_sentence``), resolved."""
    window = max(0, speaker.start - 2 * PARAGRAPH_REACH)
    if same_sentence:
        window = max(window, index.sentence_starts[bisect.bisect_right(index.sentence_starts, speaker.start) - 1])
    issued = list(ISSUED_RE.finditer(index.text, window, speaker.end))
    if issued:
        sentence = index.sentence_starts[bisect.bisect_right(index.sentence_starts, issued[-1].start()) - 1]
        subject = np_before(index.text, max(window, sentence), issued[-1].start())
        if subject is not None:
            return resolve(index, Speaker(*subject, index.text[subject[0] : subject[1]]), previous)
    return None


def _same_description(speaker: Speaker, head: str, previous: list[Speaker]) -> str | None:
    """'A senior official, who ..., said ... "...," the official said': the unnamed source just described with
    the same role goes on speaking."""
    for earlier in reversed(previous[-LOOKBACK:]):
        if speaker.start - earlier.end > PARAGRAPH_REACH:
            break
        words = [bare_word(w).lower() for w in earlier.text.split()]
        if len(words) > 1 and words[0] in INDEFINITE and words[-1] == head:
            return earlier.name
    return None


def _person_spoke_since(index: EntityIndex, previous: list[Speaker], since: int) -> str | None:
    """The last speaker, if a person the text names and quoted from ``since`` on."""
    if previous and previous[-1].start >= since and _key(previous[-1].name.split()[-1]) in index.persons:
        return previous[-1].name
    return None


def _paragraph_start(text: str, pos: int) -> int:
    return max(text.rfind("\n", max(0, pos - PARAGRAPH_REACH), pos) + 1, pos - PARAGRAPH_REACH)


def _previous_paragraph_start(text: str, paragraph: int) -> int:
    window = max(0, paragraph - PARAGRAPH_REACH)
    return _paragraph_start(text, window + len(text[window:paragraph].rstrip()))


def _person_part(words: list[str]) -> list[str]:
    """The personal name at the end of a titled name ("US Defense Secretary John Hale" -> John Hale), or
    before a place ("Paul Decker of West Virginia" -> Paul Decker)."""
    if "of" in words:
        return _name_tail(words[: words.index("of")]) or _name_tail(words)
    return _name_tail(words)


def _name_tail(words: list[str]) -> list[str]:
    """The personal name at the end of a run: capitalised words and lower-case particles inside them ("Maarten
    de Wolf"), after any title."""
    k = len(words)
    while k > 0 and (
        is_capitalised(words[k - 1])
        and not (words[k - 1] in TITLE_WORDS or is_acronym(words[k - 1]) or words[k - 1].lower() in PERSON_ROLES)
        or words[k - 1] in NAME_PARTICLE_WORDS
        and k < len(words)
        and k > 1
        and is_capitalised(words[k - 2])
    ):
        k -= 1
    return words[k:]


def _without_determiner(words: list[str]) -> str:
    if len(words) > 1 and words[0].lower() in DETERMINERS:
        words = words[1:]
    return " ".join(words)


def _as_written(speaker: Speaker) -> str:
    """The mention itself as a name (organisations, groups): "the Russian Defence Ministry" -> without "the"."""
    return _without_determiner(speaker.text.split())


def attribute_speakers(layout: Layout, quotes: list[Quote]) -> None:
    """Fill ``quote.speaker.name`` for every quote with a source mention, and give a quote without a cue of its
    own (a follow-on quoted paragraph) the previous quote's speaker."""
    index = EntityIndex.build(layout, quotes)
    resolved: list[Speaker] = []
    answering: Speaker | None = None  # who speaks the transcript's labelled turns, as far as the last one
    for quote in quotes:
        turn = quote.rule == SPEAKER_TURN.name
        if quote.speaker is None:
            # An "A:" turn answers for the transcript's speaker, not for whoever the question quoted.
            last = answering if turn and answering else resolved[-1] if resolved else None
            since = _paragraph_start(layout.text, quote.start)
            introduced = None if turn else index.subject_introducing(quote.start, max(since, last.end if last else 0))
            if introduced is not None:  # 'Dunmore pressed her. "Isn't that hindsight?"': the one just named
                quote.speaker = introduced
                resolved.append(introduced)
            elif last is not None:
                quote.speaker = Speaker(last.start, last.end, last.text, last.name)
            else:  # an interview's opening quotation: the person the text has just introduced
                quote.speaker = index.mention_before(quote.start)
            answering = quote.speaker if turn else answering
            continue
        quote.speaker.name = resolve(index, quote.speaker, resolved, quote.speaker.start >= quote.end)
        resolved.append(quote.speaker)
        answering = quote.speaker if turn else answering
