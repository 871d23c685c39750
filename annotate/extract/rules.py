"""The named rules that produce quotes. Each pre-tag records its rule (``Quote.rule``), so an annotator or a
developer can see why it exists; its score is the rule's confidence. Every rule carries examples (a sentence and
the quote, type and speaker it must give), run as one parametrized test over all rules
(``tests/test_rules.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..data import Quote, Span, Speaker

UNCLOSED_PENALTY = 0.15  # a passage whose closing mark is missing is less certain in extent


@dataclass(frozen=True)
class Example:
    """``text`` must give a quote ``quote`` of ``type`` whose speaker resolves to ``speaker`` (None: no speaker)."""

    text: str
    quote: str
    type: str
    speaker: str | None


@dataclass(frozen=True)
class Rule:
    name: str
    confidence: float
    doc: str
    examples: tuple[Example, ...]

    def quote(
        self,
        text: str,
        start: int,
        end: int,
        type_: str,
        cue: Span | None,
        mention: tuple[int, int] | None,
        balanced: bool = True,
    ) -> Quote:
        score = self.confidence if balanced else self.confidence - UNCLOSED_PENALTY
        return Quote(
            start=start,
            end=end,
            text=text[start:end],
            type=type_,
            cue=cue,
            speaker=speaker_at(text, mention),
            score=score,
            rule=self.name,
        )


RULES: dict[str, Rule] = {}


def rule(name: str, confidence: float, doc: str, *examples: Example) -> Rule:
    RULES[name] = Rule(name, confidence, doc, examples)
    return RULES[name]


def speaker_at(text: str, mention: tuple[int, int] | None) -> Speaker | None:
    return Speaker(mention[0], mention[1], text[mention[0] : mention[1]]) if mention else None


# ---------------------------------------------------------------- reported clauses (indirect and mixed quotes)

CUE_THAT = rule(
    "cue-that",
    0.8,
    """A subject, a speech cue, then the reported clause introduced by "that", a colon or a quotation mark; the
    listener of tell-like cues and time or manner adjuncts may stand between the cue and "that", and a discourse
    aside set off by commas on either side of the cue ("X, in turn, said", "stressed, however, that"). A clause
    holding a partial quotation is mixed.""",
    Example(  # a participle's subject is the sentence's, a pronoun included
        "Mayor Ada Berg spoke first. She left early, adding that the talks would go on.",
        "the talks would go on",
        "indirect",
        "Ada Berg",
    ),
    Example(
        "Karin Lund, in turn, stressed, however, that the plant would stay open.",
        "the plant would stay open",
        "indirect",
        "Karin Lund",
    ),
    Example(
        "The finance minister said on Tuesday that inflation would fall next year.",
        "inflation would fall next year",
        "indirect",
        "finance minister",
    ),
    Example("Olsen told Reuters in an interview that prices had peaked.", "prices had peaked", "indirect", "Olsen"),
    Example(
        'Mayor Ruth Adler warned that the closure would be "a disaster for the valley."',
        'the closure would be "a disaster for the valley."',
        "mixed",
        "Ruth Adler",
    ),
    # a report nested at the start of another is the outer source's ...
    Example(
        "Union leader Lena Ortiz noted that the company had said that no jobs were at risk.",
        "the company had said that no jobs were at risk",
        "indirect",
        "Lena Ortiz",
    ),
    # ... unless the outer source only relays it
    Example(
        "The state news agency reported that the governor said that the bridge would reopen.",
        "the bridge would reopen",
        "indirect",
        "governor",
    ),
)
COORDINATED_REPORT = rule(
    "coordinated-report",
    0.8,
    """The second clause of a coordinated report ("X said A, and that B"): a quote of its own, by the same source
    and cue.""",
    Example(
        "The minister said the plant was safe, and that inspections would continue.",
        "inspections would continue",
        "indirect",
        "minister",
    ),
)
CUE_CLAUSE = rule(
    "cue-clause",
    0.7,
    """A subject and a speech cue followed directly by a finite clause ("X said the strike was over"): reported
    speech without "that". Cues that usually take a noun object ("announced the budget") need a finite clause. A
    report inside a relative clause ends before the main clause's verb ("X, who had said A, said B").""",
    Example("Anna Berg told reporters the strike was over.", "the strike was over", "indirect", "Anna Berg"),
    Example("The coach insisted his team would recover.", "his team would recover", "indirect", "coach"),
    Example(
        "Kemal Aras, who had initially said the mine would reopen by May, said on Sunday that it would stay shut.",
        "the mine would reopen by May",
        "indirect",
        "Kemal Aras",
    ),
)
TRAILING_CUE = rule(
    "trailing-cue",
    0.75,
    """The reported clause first, then a comma, the subject and the cue ("CONTENT, X said on Tuesday.").""",
    Example(
        "The harbour will reopen in May, the port authority said on Monday.",
        "The harbour will reopen in May",
        "indirect",
        "port authority",
    ),
)
TRAILING_INVERTED_CUE = rule(
    "trailing-inverted-cue",
    0.8,
    """The reported clause first, then an inverted attribution ("CONTENT, said X.") with one of the few verbs
    that invert.""",
    Example(
        "The talks had stalled over pay, said Lena Ortiz, the union's negotiator.",
        "The talks had stalled over pay",
        "indirect",
        "Lena Ortiz",
    ),
)
PARENTHETICAL_CUE = rule(
    "parenthetical-cue",
    0.7,
    """One attribution set off inside the clause it reports ("The deal, he said, was final."): the quote is the
    whole clause, the attribution within it.""",
    Example(
        "The harbour, the mayor said, would reopen in May.",
        "The harbour, the mayor said, would reopen in May",
        "indirect",
        "mayor",
    ),
)
FRONTED_PARTICIPLE = rule(
    "fronted-participle",
    0.7,
    """A participial cue opening the sentence ("Stating that CONTENT, the minister called for calm"): the clause
    up to the comma, by the subject after it.""",
    Example(
        "Stating that the budget was final, the finance minister called for calm.",
        "the budget was final",
        "indirect",
        "finance minister",
    ),
)
INDIRECT_QUESTION = rule(
    "indirect-question",
    0.7,
    """An indirect question after "asked" or "wondered", past a listener: "X asked (reporters) whether ..." (the
    wh-word included).""",
    Example("The senator asked whether the plant would close.", "whether the plant would close", "indirect", "senator"),
)
ACCORDING_TO_LEADING = rule(
    "according-to-leading",
    0.75,
    """ "According to X, CONTENT." at the start of a sentence; X must be identifiable (a name, a role, a
    document), not "sources". A document's maker is the source ("a report published by X", "a Harbour Board
    study"); a participle aside on X ("According to the report, published in May, ...") is not content.""",
    Example(
        "According to the port authority, the ship will dock on Sunday.",
        "the ship will dock on Sunday",
        "indirect",
        "port authority",
    ),
    Example(
        "According to a Harbour Board study published in May, the channel must be dredged.",
        "the channel must be dredged",
        "indirect",
        "Harbour Board",
    ),
    Example(
        "According to the port authority, speaking on Monday, the ship will dock on Sunday.",
        "the ship will dock on Sunday",
        "indirect",
        "port authority",
    ),
)
ACCORDING_TO_TRAILING = rule(
    "according-to-trailing",
    0.75,
    """ "CONTENT, according to X." or "CONTENT, per X." at the end of a sentence; X may be named in apposition
    ("according to its builder, Y.") or be the maker of a document ("a survey conducted by Y").""",
    Example(
        "The ship will dock on Sunday, according to the port authority.",
        "The ship will dock on Sunday",
        "indirect",
        "port authority",
    ),
    Example(
        "Most residents back the plan, according to a survey conducted in March by the pollster Vox Terra.",
        "Most residents back the plan",
        "indirect",
        "Vox Terra",
    ),
    Example(
        "The ferry can carry 900 cars, according to its builder, Nordyard.",
        "The ferry can carry 900 cars",
        "indirect",
        "Nordyard",
    ),
)
IN_VIEW = rule(
    "in-view",
    0.7,
    """ "In his view, CONTENT." / "In her words, CONTENT.": a sentence-opening opinion frame whose possessive is the
    source.""",
    Example(
        "Karl Meyer runs the bakery. In his view, the new tax will close half the shops in town.",
        "the new tax will close half the shops in town",
        "indirect",
        "Karl Meyer",
    ),
    Example(
        'Mayor Ada Berg spoke last. In her words, the plan "will empty the valley."',
        'the plan "will empty the valley."',
        "mixed",
        "Ada Berg",
    ),
)

# ---------------------------------------------------------------- quoted passages (direct quotes)

CUE_BEFORE_QUOTE = rule(
    "cue-before-quote",
    0.95,
    """A cue introduces a complete quoted utterance ('X said: "..."', 'X said, "..."').""",
    Example(
        'The mayor said: "We will never give up the harbour."', "We will never give up the harbour.", "direct", "mayor"
    ),
)
QUOTE_THEN_CUE = rule(
    "quote-then-cue",
    0.95,
    """A quoted passage followed by its attribution: '"...," X said', '"..." she added', '"...," said X'.""",
    Example(
        '"We will never give up the harbour," the mayor said on Monday.',
        "We will never give up the harbour,",
        "direct",
        "mayor",
    ),
    Example('"Nobody asked us," said Tom Reyes, a fisherman.', "Nobody asked us,", "direct", "Tom Reyes"),
)
CALLED_QUOTE = rule(
    "called-quote",
    0.8,
    """A quoted phrase the source calls something by: 'X called the plan "a disaster"', 'described the test as
    "a provocation"', 'dubbed it "a gamble"': the phrase is the source's direct quote.""",
    Example(
        'Union leader Ana Ruiz called the plan "a betrayal of every worker" on Monday.',
        "a betrayal of every worker",
        "direct",
        "Ana Ruiz",
    ),
    Example(
        'The mayor toured the site and described the closure as "a blow to the valley."',
        "a blow to the valley.",
        "direct",
        "mayor",
    ),
)
FOLLOW_ON = rule(
    "follow-on-quote",
    0.75,
    """A quoted sentence or paragraph with no cue of its own, right after an attributed quote: it goes on with the
    previous speaker, unless the sentence just before it opens with a person, who then speaks.""",
    Example(
        '"We will rebuild," said Tom Reyes, a fisherman. "It will take years."',
        "It will take years.",
        "direct",
        "Tom Reyes",
    ),
    Example(
        '"We will stay," said Gen. Omar Vance.\n\nRana Bell, the host, pressed him. "Is that realistic?"',
        "Is that realistic?",
        "direct",
        "Rana Bell",
    ),
)
COLON_LEAD_IN = rule(
    "colon-lead-in",
    0.85,
    """A paragraph ending "X added:" introduces the quotation that opens the next paragraph.""",
    Example(
        'Tom Reyes, a fisherman, was blunt. He told reporters:\n"Nobody asked us."',
        "Nobody asked us.",
        "direct",
        "Tom Reyes",
    ),
)
COLON_INTRODUCTION = rule(
    "colon-introduction",
    0.85,
    """A passage after a colon in its sentence, the words before the colon naming the source without a cue:
    'Deputy mayor Ana Ruiz: "..."', 'The minister was blunt: "..."', 'The ministry issued a statement: "..."', a
    broadcast clip's 'CLIP, ANA RUIZ: "..."'.""",
    Example(
        'The rail strike went on.\n\nUnion leader Ana Ruiz was blunt: "We will not go back for less."',
        "We will not go back for less.",
        "direct",
        "Ana Ruiz",
    ),
    Example(
        'Talks stalled again.\n\nDeputy mayor Tom Reyes: "Nobody asked us."', "Nobody asked us.", "direct", "Tom Reyes"
    ),
    Example(  # a broadcast transcript's clip marker before the name
        'The strike went on.\n\nCLIP, ANA RUIZ (via interpreter): "We will not go back."',
        "We will not go back.",
        "direct",
        "Ana Ruiz",
    ),
)
SPEAKER_TURN = rule(
    "speaker-turn",
    0.85,
    """A transcript's turn, "NAME: what they said" (two or more such paragraphs): the turn after the label is the
    named speaker's direct quote, quotation marks or not. "Q:" turns are the questioner's and go through the other
    rules; "A:" turns are the interviewee's, named in the introduction. A turn all in capitals is a section
    header ("WASHINGTON: TALKS RESUME"), not speech.""",
    Example(
        "Port authority briefing with spokeswoman Ana Ruiz.\n\n"
        "MS RUIZ: Good morning. The harbour reopens on Friday.\n\nQ: Is it safe?\n\n"
        "MS RUIZ: It is safe, and the inspectors agree.",
        "It is safe, and the inspectors agree.",
        "direct",
        "Ana Ruiz",
    ),
    Example(  # an answer is the briefer's, not the person the question quoted
        "Port authority briefing with spokeswoman Ana Ruiz.\n\nMS RUIZ: The harbour reopens on Friday.\n\n"
        'Q: The mayor said on Monday that the harbour was "a danger to everyone." Is it?\n\n'
        "A: It is safe, and the inspectors agree.",
        "It is safe, and the inspectors agree.",
        "direct",
        "Ana Ruiz",
    ),
)
EMBEDDED_POST = rule(
    "embedded-post",
    0.9,
    """A social media post embedded in the page, signed "— Name (@handle) Date": the named author's direct
    quotation.""",
    Example(
        "The harbour stays open. Full stop. — Ruth Adler (@ruthadler) May 3, 2024",
        "The harbour stays open. Full stop.",
        "direct",
        "Ruth Adler",
    ),
)
