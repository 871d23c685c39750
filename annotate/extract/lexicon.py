"""The lexicon: reporting verbs, roles, titles, organisation and function words of general English news usage, as
data. Nothing here names a person, a place or a phrase of any particular article."""

from __future__ import annotations

# ---------------------------------------------------------------- reporting verbs, as lemmas

# Irregular forms: third person, past, present participle.
IRREGULAR = {
    "say": ("says", "said", "saying"),
    "tell": ("tells", "told", "telling"),
    "write": ("writes", "wrote", "writing"),
    "think": ("thinks", "thought", "thinking"),
    "hit back": ("hits back", "hit back", "hitting back"),
    "read": ("reads", "read", "reading"),
    "shoot back": ("shoots back", "shot back", "shooting back"),
}
DOUBLED_FINAL = {"admit", "regret", "commit", "submit", "omit", "refer", "aver", "snap", "quip", "plan", "confer"}


def inflections(lemma: str) -> tuple[str, str, str, str]:
    """Base form, third person singular, past and present participle of a regular English verb (or a phrasal
    verb whose first word inflects: "point out" -> "pointed out")."""
    if lemma in IRREGULAR:
        return (lemma, *IRREGULAR[lemma])
    verb, _, particle = lemma.partition(" ")
    tail = f" {particle}" if particle else ""
    if verb.endswith(("s", "x", "z", "ch", "sh")):
        third = verb + "es"
    elif verb.endswith("y") and verb[-2] not in "aeiou":
        third = verb[:-1] + "ies"
    else:
        third = verb + "s"
    stem = verb + verb[-1] if verb in DOUBLED_FINAL else verb
    if verb.endswith("e"):
        past, participle = verb + "d", (verb[:-1] if not verb.endswith("ee") else verb) + "ing"
    elif verb.endswith("y") and verb[-2] not in "aeiou":
        past, participle = verb[:-1] + "ied", verb + "ing"
    else:
        past, participle = stem + "ed", stem + "ing"
    return lemma, third + tail, past + tail, participle + tail


def finite_forms(lemmas) -> set[str]:
    return {form for lemma in lemmas for form in inflections(lemma)[1:3]}


def participles(lemmas) -> set[str]:
    return {inflections(lemma)[3] for lemma in lemmas}


# Verbs of saying that take a reported clause with or without "that" ("X said the strike was over").
SPEECH_VERBS = (
    "say tell warn stress add insist note announce reiterate confirm repeat explain argue assert state declare "
    "emphasise emphasize underline underscore acknowledge admit allege complain indicate disclose reveal maintain "
    "predict concede caution write tweet report assure reply affirm reaffirm proclaim"
).split()
# Verbs that report only with "that", a colon or a quotation after them: without one they are as often nouns
# ("notes", "claims") or verbs of other things ("agreed on a price", "threatened sanctions").
THAT_VERBS = (
    "claim deny believe think fear hope estimate suggest agree recall observe respond answer inform remind vow "
    "threaten counter clarify specify charge boast contend concede forecast testify confide mention lament protest "
    "pledge promise demand urge hint signal imply reckon post remark retort explain acknowledge "
    "notify advise brief reassure complain insist read"
).split()
# How something was said: a cue only with a colon, a quotation or "that" after it ('X fumed: "..."'), or after
# the quotation it attributes ('"...," he snapped').
MANNER_VERBS = (
    "blast slam fume rage snap roar shrug sneer scoff gloat thunder bark hiss growl rant moan gush quip joke "
    "exclaim shout yell scream plead mutter whisper grumble hit back shoot back bristle crow jeer taunt mock vent"
).split()
# Attitudes, not utterances: "X said the alliance hoped ..." is X's report, the hope part of its content.
COGNITION_VERBS = "believe think fear hope estimate reckon".split()
# Cues whose listener may sit between the cue and "that" ("warned Ankara that", "informed TASS that").
LISTENER_VERBS = "tell inform remind warn assure caution notify advise brief reassure promise".split()
# Cues whose listener is skipped even without "that" ("told reporters the strike was over").
TELL_VERBS = "tell inform remind".split()
# Inverted attribution (", said X.") only occurs with a few verbs, and with manner verbs in tabloid style.
INVERTIBLE_VERBS = (
    "say add warn insist note explain write ask state declare reply argue stress admit recall concede counter continue"
).split()

# Base forms report in the present plural ("officials say", "critics claim that"), but most are as often nouns
# ("state", "report") or the writer's ("we recall that"); and some third person forms are plural nouns ("US demands
# that ...").
PRESENT_PLURAL_CUES = {"say", "insist", "argue", "warn"}
PRESENT_PLURAL_THAT_CUES = {"claim", "stress", "note", "admit", "acknowledge"}
NOUN_LIKE_FORMS = set(
    "notes states reports demands pledges promises posts protests signals hints charges vows remarks retorts mentions "
    "forecasts laments counters".split()
)
CUE_FORMS = sorted(finite_forms(SPEECH_VERBS) - NOUN_LIKE_FORMS | PRESENT_PLURAL_CUES)
THAT_ONLY_FORMS = sorted(
    (finite_forms(THAT_VERBS + MANNER_VERBS) | PRESENT_PLURAL_THAT_CUES) - NOUN_LIKE_FORMS - set(CUE_FORMS)
    | {"notes", "states", "reports"}  # as often nouns: cues only with "that"
) + ["put it"]  # 'As X put it, "..."'
COGNITION_FORMS = finite_forms(COGNITION_VERBS)
PARTICIPLES = sorted(participles(SPEECH_VERBS + ["claim"]))
# With CUE_RE's fixed participial phrases ("..., pointing out that ...").
PARTICIPLE_CUES = set(PARTICIPLES) | {"pointing out", "making clear", "making it clear"}
LISTENER_FORMS = {form for lemma in LISTENER_VERBS for form in inflections(lemma)}
TELL_FORMS = {form for lemma in TELL_VERBS for form in inflections(lemma)}
# Past participles that open an aside between a subject and its cue ("X, asked about the talks, said").
PARTICIPIAL_ASIDES = set("asked reached contacted interviewed pressed questioned briefed quoted".split())
# Cues that take a reported clause far more often than a noun object.
RELAXED_FORMS = TELL_FORMS | {form for lemma in ("say", "add", "insist", "argue") for form in inflections(lemma)}
INVERTIBLE = finite_forms(INVERTIBLE_VERBS) | {inflections(lemma)[2] for lemma in MANNER_VERBS}
# Verbs that report an indirect question ("asked whether ...").
WH_CUE_FORMS = finite_forms("ask wonder question query".split())
# Verbs that attribute a quotation that precedes them ('"Why?" he asked') but rarely introduce reported speech.
AFTER_QUOTE_FORMS = sorted(finite_forms("ask wonder continue".split() + MANNER_VERBS))

# ---------------------------------------------------------------- nouns and function words

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
# News media, which relay other sources' words ("the agency reported that X said ...").
MEDIA_WORDS = set(
    "agency news newspaper paper daily broadcaster channel television tv radio station media outlet website magazine "
    "wire tabloid".split()
)
# Heads of a definite description that name no person ("the team said", "the statement said").
NON_PERSON_HEADS = ORG_ROLES | set(
    "team club country city town state nation league side network paper site school board statement statements "
    "document documents report reports letter post tweet survey poll study filing readout data figures".split()
)
# Heads that name no identifiable source ("according to sources", "local media reported").
UNIDENTIFIABLE = set(
    "source sources report reports media people observers some many others critics someone everyone everybody "
    "anyone nobody".split()
)
# Cues that name their source after them, as a preposition ("according to X", "per X").
SOURCE_PREPOSITIONS = {"according to", "per"}
# Documents that speak for their authors.
DOCUMENT_SOURCES = set(
    "filing filings statement statements document documents survey surveys poll polls study studies census readout "
    "readouts report reports analysis assessment memo audit estimates".split()
)
# Documents a person or organisation issues, which "say" what their issuer says ("the statement said").
ISSUED_DOCUMENTS = set(
    "statement statements letter letters tweet tweets post posts message messages note communique communiqué "
    "declaration readout video".split()
)
PRONOUNS = {"he", "she", "they", "it", "we", "i"}
# "In his view, ...": the possessive stands for its pronoun as the source.
POSSESSIVE_PRONOUNS = {"his": "he", "her": "she", "their": "they"}
DETERMINERS = {"the", "a", "an", "its", "his", "her", "their", "our"}
CONNECTORS = {"of", "for", "and", "&", "de", "van", "von", "bin", "al", "da", "del", "der", "le", "la"}
# Lower case inside a personal name ("Maarten de Wolf", "Ursula von der Leyen").
NAME_PARTICLE_WORDS = {"de", "van", "von", "der", "den", "da", "del", "della", "di", "du", "le", "la", "bin", "ibn"}
# Capitalised, these open a surname ("Van Hollen", "De Gaulle") rather than join two names.
NAME_PARTICLES = {w.capitalize() for w in CONNECTORS - {"of", "for", "and", "&"}}
# Adverbs and auxiliaries allowed between a subject and its cue ("X has also said").
BEFORE_CUE = set(
    "only also has have had long previously later earlier repeatedly again further then reportedly recently once would "
    "will did does do already separately publicly privately first subsequently still just even quickly "
    "immediately often".split()
)
# Nouns ending in "-ly" that can head a subject; other such words between a subject and its cue are adverbs
# ("had initially said").
LY_NOUNS = {"assembly", "family", "ally", "rally", "supply", "monopoly", "anomaly", "bully", "belly", "july", "italy"}
# Words that turn a cue into a non-speech use (passive, negation, infinitive, noun).
BLOCKING_BEFORE = set("was were is are be been being not never to the an a declined refused".split())
# Capitalised words that start a clause but are no name ("In March, ...", "On Tuesday ...").
# Words that open a noun phrase ("Many analysts", "Some officials"): a subject, though never part of a name.
QUANTIFIERS = set("few many most some any each every all such both either neither".split())
CAPITALISED_NON_NAMES = set(
    "On In At After Before During Meanwhile But And However Separately Also Last Earlier Later While When As "
    "Despite Since This That These Those Then Yet Still Now Today Yesterday Tonight Thus So If Although Though "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday It He She They We I There Here What Why How Where "
    "Who Read More Asked Speaking Following Whether Unless Because Once Until Whereas Whatever Whoever Or Nor "
    "Instead Otherwise Perhaps Indeed Moreover Furthermore Nonetheless Nevertheless Even Only "
    "Not".split()
) | {word.capitalize() for word in QUANTIFIERS}
# Discourse asides set off by commas around a cue ("X, in turn, said", "X stressed, however, that"): no part of
# the subject or of the content.
DISCOURSE_ASIDES = (
    "however",
    "though",
    "too",
    "also",
    "meanwhile",
    "moreover",
    "furthermore",
    "in turn",
    "for his part",
    "for her part",
    "for its part",
    "for their part",
    "again",
    "once again",
    "in addition",
    "nonetheless",
    "nevertheless",
    "instead",
    "in particular",
    "by contrast",
    "in contrast",
    "at the same time",
    "in response",
    "in reply",
    "likewise",
    "similarly",
    "still",
    "separately",
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
PREPOSITIONS = set("to on at in by with from for of about after before during under over".split())
# Lower-case words that never sit inside a speaker's noun phrase.
FUNCTION_WORDS = (
    set(
        "that which who whom whose what to in on at by with from as than if whether when while because but or nor so "
        "not no is are was were be been being has have had will would could can may might should must shall do does "
        "did said says told after before during since until into onto over under about against between through".split()
    )
    | set(CUE_FORMS)
    | set(THAT_ONLY_FORMS)
    | set(PARTICIPLES)
)
ABBREVIATIONS = set(
    "mr mrs ms dr gen lt col maj capt cmdr adm sgt sen rep gov st jr sr prof rev vs etc inc ltd co corp no jan "
    "feb mar apr jun jul aug sep sept oct nov dec u.s u.n u.k e.u a.m p.m".split()
)
# A reported action coordinated after the report ("said A and urged B to act") is the speaker's, not content.
REPORTED_ACTIONS = (
    "urged called asked vowed pledged promised demanded appealed gave declined refused accused criticised criticized "
    "condemned praised welcomed rejected dismissed thanked described dubbed branded labelled labeled"
).split()
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
ORG_WORDS = set(
    "Ministry Department Agency Office Government Administration Council Committee Commission Corporation Corp "
    "Company Co Inc Ltd Group Bank Party Army Forces Force Navy Parliament Congress Senate House Court Union "
    "Organization Organisation Institute University Alliance Service News Times Post Journal Interest Network "
    "Press Media Television TV Radio Daily Herald Tribune Foundation Association Federation Republic Kingdom "
    "States Nations Kremlin Pentagon Embassy Center Centre Academy Authority Bureau Fund Board Coalition Front "
    "Movement Industries Systems Airlines Holdings Technologies Reuters Magazine Newspaper Agency Cabinet "
    "Securities Capital Partners Associates Advisors Advisers Advisory Consulting Investments Markets Analytics "
    "Strategies Economics Aerospace".split()
)
ORG_PREPOSITIONS = {"on", "of", "for", "at"}
# An untitled name after these is a place ("a sergeant in El Paso", "an office near K Street"), never a source.
PLACE_PREPOSITIONS = {"in", "near", "at", "outside", "inside", "across", "around", "throughout", "between"}
GENDERED_TITLES = {
    "she": set("mrs ms miss madam lady dame queen princess spokeswoman chairwoman congresswoman businesswoman".split()),
    "he": set("mr sir lord king prince spokesman chairman congressman businessman".split()),
}
# A possessive before a role ("Ribera's predecessor", "the mayor's spokesman") introduces another person.
RELATIVES = set("predecessor successor wife husband son daughter brother sister father mother rival ally".split())
INDEFINITE = {"a", "an", "one", "another"}
