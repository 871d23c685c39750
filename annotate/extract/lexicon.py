"""The lexicon: reporting verbs, roles, titles, organisation and function words of general English news usage, as
data. Nothing here names a person, a place or a phrase of any particular article."""

from __future__ import annotations

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
INVERTIBLE = {
    "said",
    "says",
    "added",
    "adds",
    "warned",
    "insisted",
    "noted",
    "explained",
    "wrote",
    "asked",
    "stated",
    "declared",
    "replied",
    "argued",
    "stressed",
    "admitted",
    "recalled",
}
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
    "anyone nobody".split()
)
# Cues that name their source after them, as a preposition ("according to X", "per X").
SOURCE_PREPOSITIONS = {"according to", "per"}
# Documents that speak for their authors.
DOCUMENT_SOURCES = set(
    "filing filings statement statements document documents survey poll study census readout readouts".split()
)
PRONOUNS = {"he", "she", "they", "it", "we", "i"}
# "In his view, ...": the possessive stands for its pronoun as the source.
POSSESSIVE_PRONOUNS = {"his": "he", "her": "she", "their": "they"}
DETERMINERS = {"the", "a", "an", "its", "his", "her", "their", "our"}
CONNECTORS = {"of", "for", "and", "&", "de", "van", "von", "bin", "al", "da", "del", "der", "le", "la"}
# Capitalised, these open a surname ("Van Hollen", "De Gaulle") rather than join two names.
NAME_PARTICLES = {w.capitalize() for w in CONNECTORS - {"of", "for", "and", "&"}}
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
# Verbs that attribute a quotation that precedes them ('"Why?" he asked') but rarely introduce reported speech.
AFTER_QUOTE_FORMS = "asked asks shouted exclaimed quipped joked wondered".split()
# A reported action coordinated after the report ("said A and urged B to act") is the speaker's, not content.
REPORTED_ACTIONS = "urged called asked vowed pledged promised demanded appealed gave declined refused".split()
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
    "Movement Industries Systems Airlines Holdings Technologies Reuters Magazine Newspaper Agency Cabinet".split()
)
ORG_PREPOSITIONS = {"on", "of", "for", "at"}
GENDERED_TITLES = {
    "she": set("mrs ms miss madam lady dame queen princess spokeswoman chairwoman congresswoman businesswoman".split()),
    "he": set("mr sir lord king prince spokesman chairman congressman businessman".split()),
}
# A possessive before a role ("Ribera's predecessor", "the mayor's spokesman") introduces another person.
RELATIVES = set("predecessor successor wife husband son daughter brother sister father mother rival ally".split())
INDEFINITE = {"a", "an", "one", "another"}
