"""Quote spans, types and cues on small synthetic news sentences (see the annotation guideline)."""

from __future__ import annotations

import time

import pytest

from annotate.extract import Layout, extract
from annotate.extract.quotes import find_quotes as quotes_of


def find_quotes(text: str):
    """Quotes with their source mentions as found, before speaker resolution."""
    return quotes_of(Layout.of(text))


def spans(text: str) -> list[tuple[str, str]]:
    return [(q.type, q.text) for q in find_quotes(text)]


@pytest.mark.parametrize(
    ("opening", "closing"),
    [('"', '"'), ("“", "”"), ("‘", "’"), ("«", "»"), ("„", "“")],
    ids=["straight", "curly", "single-curly", "guillemets", "low-high"],
)
def test_every_kind_of_quotation_mark(opening: str, closing: str) -> None:
    text = f"{opening}We will never give up the harbour,{closing} the mayor said on Monday."
    quotes = find_quotes(text)
    assert [(q.type, q.text) for q in quotes] == [("direct", "We will never give up the harbour,")]
    assert quotes[0].cue.text == "said"
    assert quotes[0].speaker.text == "the mayor"


def test_indirect_with_and_without_that() -> None:
    with_that = "The finance minister said on Tuesday that inflation would fall next year."
    without = "The finance minister said inflation would fall next year."
    assert spans(with_that) == [("indirect", "inflation would fall next year")]
    assert spans(without) == [("indirect", "inflation would fall next year")]


def test_told_listener_and_statement_adjuncts_are_not_content() -> None:
    assert spans("Anna Berg told reporters the strike was over.") == [("indirect", "the strike was over")]
    assert spans("The ministry said in a statement that talks would resume.") == [("indirect", "talks would resume")]
    assert spans("Olsen told Reuters in an interview that prices had peaked.") == [("indirect", "prices had peaked")]


def test_noun_objects_are_not_reported_speech() -> None:
    assert find_quotes("The council announced the new budget on Friday.") == []
    assert find_quotes("The minister did not say whether the plant would close.") == []


def test_according_to_before_and_after() -> None:
    assert spans("According to the port authority, the ship will dock on Sunday.") == [
        ("indirect", "the ship will dock on Sunday")
    ]
    quotes = find_quotes("The ship will dock on Sunday, according to the port authority.")
    assert [(q.type, q.text) for q in quotes] == [("indirect", "The ship will dock on Sunday")]
    assert quotes[0].cue.text == "according to"
    assert quotes[0].speaker.text == "the port authority"


def test_unidentifiable_source_is_no_quote() -> None:
    assert find_quotes("According to sources, the ship will dock on Sunday.") == []


def test_trailing_attribution() -> None:
    quotes = find_quotes("The bridge will reopen in May, Transport Secretary Liam Cole said on Wednesday.")
    assert [(q.type, q.text) for q in quotes] == [("indirect", "The bridge will reopen in May")]
    assert quotes[0].speaker.text == "Transport Secretary Liam Cole"


def test_inverted_attribution_after_a_direct_quote() -> None:
    quotes = find_quotes('"It is a fair offer," said Maria Lopez, a spokeswoman for the union.')
    assert [(q.type, q.text) for q in quotes] == [("direct", "It is a fair offer,")]
    assert quotes[0].speaker.text == "Maria Lopez"


def test_colon_introduced_quote() -> None:
    quotes = find_quotes("The coach told the team: “Nobody leaves before the final whistle.”")
    assert [(q.type, q.text) for q in quotes] == [("direct", "Nobody leaves before the final whistle.")]
    assert quotes[0].speaker.text == "The coach"


def test_interrupted_quote_gives_two_quotes() -> None:
    text = "“The rules are clear,” she said, “and they apply to everyone.”"
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == ["The rules are clear,", "and they apply to everyone."]
    assert all(q.type == "direct" and q.speaker.text == "she" for q in quotes)


def test_mixed_quote_keeps_the_whole_reported_clause() -> None:
    quotes = find_quotes("The general warned that the rebels would face “a very hard winter” in the hills.")
    assert [(q.type, q.text) for q in quotes] == [("mixed", "the rebels would face “a very hard winter” in the hills")]


def test_adding_that_is_a_second_quote_by_the_same_speaker() -> None:
    quotes = find_quotes("“We are ready,” Ruth Ndlovu said, adding that the vote would go ahead.")
    assert [(q.type, q.text) for q in quotes] == [("direct", "We are ready,"), ("indirect", "the vote would go ahead")]
    assert quotes[1].speaker.text == "Ruth Ndlovu"


def test_report_of_a_report_keeps_the_inner_clause() -> None:
    text = "State radio reported on Monday that the prime minister said the border would stay closed."
    assert spans(text) == [("indirect", "the border would stay closed")]
    text = "Mayor Tom Berry said the tunnel would open in June, local media reported."
    assert spans(text) == [("indirect", "the tunnel would open in June")]


def test_multi_paragraph_quote_is_one_quote_per_paragraph() -> None:
    text = (
        "“The company has doubled its output this year. We hired 200 people.\n\n"
        "“Next year we plan to open two more plants,” chief executive Lena Holm said."
    )
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == [
        "The company has doubled its output this year. We hired 200 people.",
        "Next year we plan to open two more plants,",
    ]
    assert all("Lena Holm" in q.speaker.text for q in quotes)


def test_floating_quote_follows_an_attributed_one() -> None:
    text = (
        "“The harvest was the worst in a decade,” farmer Jan Visser said.\n\n“We lost almost everything to the floods.”"
    )
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == [
        "The harvest was the worst in a decade,",
        "We lost almost everything to the floods.",
    ]
    assert quotes[1].cue is None


def test_quoted_paragraph_without_any_source_is_no_quote() -> None:
    assert find_quotes("“A storm is coming to the coast this weekend.”") == []


def test_scare_quotes_are_not_quotes() -> None:
    assert find_quotes("The so-called “iron lady” of the party left the room.") == []
    assert find_quotes("Fans call the striker 'The Rocket' in the stands.") == []


def test_unbalanced_marks_stay_in_their_paragraph() -> None:
    text = (
        "The chairman said “the board will meet on Friday and decide.\n\n"
        "Shares fell 3% in early trading. Analysts expect a loss.\n\n"
        "A strike was averted.” The union was pleased."
    )
    quotes = find_quotes(text)
    assert quotes, "the unclosed passage is still a quote"
    for quote in quotes:
        assert "\n" not in quote.text
    assert not any("Shares fell" in q.text for q in quotes)


def test_closing_mark_without_opening_closes_the_passage_since_the_previous_quote() -> None:
    text = '"We will cut costs," Karl Weiss said at the meeting. We will also sell two units. "'
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == ["We will cut costs,", "We will also sell two units."]


def test_unicode_whitespace() -> None:
    text = "The\u00a0minister\u00a0said\u00a0that\u00a0exports\u2009had\u00a0risen\u00a0sharply."
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == ["exports\u2009had\u00a0risen\u00a0sharply"]


def test_boilerplate_headlines_and_tags_yield_no_quotes() -> None:
    text = (
        "READ MORE: Minister says “no return” to old rules, officials said\n\n"
        "Read more: Mayor says the bridge will reopen\n\n"
        "Tags: politics, economy\n\n"
        "Mayor says bridge will reopen in May"
    )
    assert find_quotes(text) == []


def test_offsets_are_exact_on_every_quote() -> None:
    text = (
        "PARIS (AP) — The museum will close for repairs, its director, Claire Dubois, said on Monday.\n\n"
        "“It breaks my heart,” she told reporters. “But the roof is leaking.”\n\n"
        "According to the culture ministry, the works will cost 40\u00a0million euros.\n\n"
        "Dubois added that the collection would tour abroad, calling it “a chance to be seen.”"
    )
    quotes = find_quotes(text)
    assert len(quotes) == 5
    assert [q.start for q in quotes] == sorted(q.start for q in quotes)
    for quote in quotes:
        assert text[quote.start : quote.end] == quote.text
        assert quote.type in ("direct", "indirect", "mixed")
        assert 0.0 <= quote.score <= 1.0
        assert text[quote.cue.start : quote.cue.end] == quote.cue.text if quote.cue else True
        if quote.speaker:
            assert text[quote.speaker.start : quote.speaker.end] == quote.speaker.text


def _article(paragraphs: int) -> str:
    """Distinct paragraphs (a paragraph printed twice is one quote, not two)."""
    return "".join(
        f"“We expect line {n} to open next spring,” said Omar Haddad, the project director.\n\n"
        f"The ministry said in a statement that costs had risen by {n}% since March.\n\n"
        f"Traffic in the city centre was heavy on Tuesday as workers closed {n} lanes.\n\n"
        for n in range(paragraphs)
    )


def _seconds(text: str) -> float:
    start = time.perf_counter()
    find_quotes(text)
    return time.perf_counter() - start


def test_time_is_linear_in_text_length() -> None:
    small, large = _article(1500), _article(6000)  # about 0.25 MB and 1 MB
    assert len(large) > 1_000_000
    _seconds(small)  # warm the regular expression cache
    ratio = min(_seconds(large) for _ in range(2)) / min(_seconds(small) for _ in range(2))
    assert ratio < 8, f"4x the text took {ratio:.1f}x the time"
    assert len(find_quotes(large)) == 2 * 6000


def test_time_is_linear_on_one_huge_paragraph() -> None:
    small, large = _article(400).replace("\n", " "), _article(1600).replace("\n", " ")
    ratio = min(_seconds(large) for _ in range(2)) / min(_seconds(small) for _ in range(2))
    assert ratio < 8, f"4x the text took {ratio:.1f}x the time"


def test_trailing_attribution_followed_by_an_adverbial_tail() -> None:
    text = (
        "The port will stay open all winter, Harbour Master Ines Duarte said on Friday, despite warnings from "
        "unions that the cranes were unsafe."
    )
    quotes = find_quotes(text)
    assert [(q.type, q.text) for q in quotes] == [("indirect", "The port will stay open all winter")]
    assert quotes[0].speaker.text == "Harbour Master Ines Duarte"


def test_a_phrase_before_a_trailing_cue_that_is_no_clause_is_no_quote() -> None:
    assert find_quotes("After a two-hour meeting in Oslo, Lena Berg told reporters about the plans.") == []


@pytest.mark.parametrize(
    "aside", ["speaking on condition of anonymity", "asked about the strike", "usually a critic of the board"]
)
def test_aside_between_subject_and_cue(aside: str) -> None:
    quotes = find_quotes(f"A senior company official, {aside}, said the plant would reopen in May.")
    assert [(q.type, q.text) for q in quotes] == [("indirect", "the plant would reopen in May")]
    assert quotes[0].speaker.text == "A senior company official"


def test_told_then_adding_that_gives_one_quote_per_clause() -> None:
    text = "“The fleet is ready,” Tomas Novak told a news conference in Prague, adding that trials would start soon."
    assert spans(text) == [("direct", "The fleet is ready,"), ("indirect", "trials would start soon")]


def test_inverted_attribution_with_appositive_yields_no_name_quote() -> None:
    text = (
        "“Costs are under control,” said Nadia Farah, chief financial officer of Delta Rail. "
        "“We will meet our targets.”"
    )
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == ["Costs are under control,", "We will meet our targets."]
    assert quotes[0].speaker.text == "Nadia Farah"


def test_dash_aside_after_cue_then_colon_quote() -> None:
    text = "“The river has risen before,” the farmer says — and then, after a pause: “Never this fast in years.”"
    assert spans(text) == [("direct", "The river has risen before,"), ("direct", "Never this fast in years.")]


def test_coordinated_reported_action_is_not_content() -> None:
    text = "The mayor said the budget was “a disgrace” and urged the council to vote again."
    assert spans(text) == [("mixed", "the budget was “a disgrace”")]


def test_cues_that_only_follow_a_quotation() -> None:
    quotes = find_quotes("“Why should we pay?” the farmer asked. “Never!” he shouted.")
    assert [(q.text, q.cue.text) for q in quotes] == [("Why should we pay?", "asked"), ("Never!", "shouted")]
    assert find_quotes("The farmer asked the council for more time.") == []


def test_said_no_as_determiner_versus_refusal() -> None:
    assert spans("The agency said no flights were cancelled.") == [("indirect", "no flights were cancelled")]
    assert find_quotes("The council said no to the plan.") == []


def test_colon_paragraph_introduces_the_next_paragraph_quote() -> None:
    text = (
        "Rain fell all day. “We are ready,” coach Ida Holm said.\n\n"
        "Team captain Aron Lind added:\n\n"
        "“We have trained for this match all year and we will not lose it.”"
    )
    quotes = find_quotes(text)
    assert [q.speaker.text for q in quotes] == ["coach Ida Holm", "Team captain Aron Lind"]
    assert quotes[1].cue.text == "added"


def test_reply_verbs_attribute_a_quotation() -> None:
    quotes = find_quotes("“Fines are not the answer,” Greta Moen replies.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("Fines are not the answer,", "Greta Moen")]


def test_long_before_cue_and_description_before_a_set_off_name() -> None:
    assert spans("Farmers have long argued that the quota is unfair.") == [("indirect", "the quota is unfair")]
    quotes = find_quotes("Chile's ambassador to Peru, Rosa Mena, said the border would reopen.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("the border would reopen", "Rosa Mena")]


def test_according_to_after_an_attributed_quotation_is_only_the_channel() -> None:
    quotes = find_quotes("“The harbour is safe,” Rosa Mena said, according to the local radio.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("The harbour is safe,", "Rosa Mena")]


def test_british_single_quotes_hold_nested_double_quotes() -> None:
    text = (
        "‘It was a great night,’ coach Ida Holm said. ‘My assistant turned to me and said, “Is this real?” "
        "I had no answer.’"
    )
    assert [q.text for q in find_quotes(text)] == [
        "It was a great night,",
        "My assistant turned to me and said, “Is this real?” I had no answer.",
    ]


def test_short_quoted_sentence_is_an_utterance_not_a_scare_quote() -> None:
    quotes = find_quotes('"We tried for months," Lena Berg said. "Nobody listened."')
    assert [q.text for q in quotes] == ["We tried for months,", "Nobody listened."]


def test_no_attribution_across_a_sentence_end_after_a_quoted_term() -> None:
    text = 'The union called the offer an "insult". Management said talks would resume on Monday.'
    assert spans(text) == [("indirect", "talks would resume on Monday")]


def test_pointing_out_is_a_participial_cue() -> None:
    text = "The coach insisted his side would not panic, pointing out that they had lost only twice."
    assert spans(text) == [("indirect", "his side would not panic"), ("indirect", "they had lost only twice")]


def test_writers_comment_after_the_report_is_not_content() -> None:
    text = 'The firm said it would close two plants, a move that unions described as "a betrayal."'
    assert spans(text) == [("indirect", "it would close two plants")]


@pytest.mark.parametrize(
    ("subject", "mention"),
    [
        ("Jonathan Eames, prosecuting,", "Jonathan Eames"),
        ("The 51-year-old, whose own shop was flooded,", "The 51-year-old"),
        (
            (
                "Karl Weiss, who had been criticised by a section of the local press after an error in the final weeks of "
                "the season,"
            ),
            "Karl Weiss",
        ),
        ("Anna Berg, a member of the Health, Education and Pensions Committee,", "Anna Berg"),
        ("Her lawyer, Anjali Mistry,", "Anjali Mistry"),
    ],
)
def test_subject_before_a_set_off_aside(subject: str, mention: str) -> None:
    quotes = find_quotes(f"{subject} told the court the money had been repaid.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("the money had been repaid", mention)]


def test_age_description_is_a_source() -> None:
    quotes = find_quotes("“I just tried to score,” the 19-year-old said.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("I just tried to score,", "the 19-year-old")]


def test_coordinated_cue_takes_the_sentence_subject() -> None:
    quotes = find_quotes("MP Jelena Horvat criticised the government and said that prices would rise.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("prices would rise", "MP Jelena Horvat")]
    # "added" coordinated inside the content is an ordinary verb, not a second report
    assert spans("The firm said it was working with customers and had added shifts at two plants.") == [
        ("indirect", "it was working with customers and had added shifts at two plants")
    ]


def test_relative_who_before_a_cue_refers_to_the_noun_before_it() -> None:
    quotes = find_quotes("Officials met the envoy, Pavel Orlov, who told reporters that the flight was a provocation.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("the flight was a provocation", "Pavel Orlov")]


def test_noun_taking_cue_without_that_needs_a_subject_and_auxiliary() -> None:
    assert spans("The manager claimed the goal should have been ruled out.") == [
        ("indirect", "the goal should have been ruled out")
    ]
    assert find_quotes("The rebels claimed responsibility for the attack, which was the worst in years.") == []


def test_participle_after_a_subordinate_clause_takes_that_clause_subject() -> None:
    text = "Shares fell 9% after the airline cut its forecast, saying engine repairs would ground ten jets."
    quotes = find_quotes(text)
    assert [(q.text, q.speaker.text) for q in quotes] == [("engine repairs would ground ten jets", "the airline")]


def test_according_to_a_document_and_before_a_coordinated_clause() -> None:
    assert spans("According to a regulatory filing, the group had 3 billion crowns in cash.") == [
        ("indirect", "the group had 3 billion crowns in cash")
    ]
    quotes = find_quotes("Nurses earned about $30 an hour, according to the Labor Department, and many quit.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("Nurses earned about $30 an hour", "the Labor Department")]


def test_capitalised_cue_word_inside_a_name_is_no_cue() -> None:
    assert find_quotes("Although the United States Congress has objections, the sale goes ahead.") == []


def test_more_verbs_invert_after_a_quotation() -> None:
    quotes = find_quotes('"Prices are frozen until the vote" ,stated Horvat for our portal.')
    assert [(q.text, q.speaker.text) for q in quotes] == [("Prices are frozen until the vote", "Horvat")]


def test_plural_present_and_that_only_cues() -> None:
    assert spans("Officials insist the purchase was forced on them.") == [
        ("indirect", "the purchase was forced on them")
    ]
    assert spans("Officials claim progress is being made.") == [("indirect", "progress is being made")]
    assert find_quotes("The claim was rejected by the court on Monday.") == []


def test_informed_takes_a_listener_before_its_clause() -> None:
    quotes = find_quotes("Ivan Sokolov informed the agency that the talks were in the final phase.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("the talks were in the final phase", "Ivan Sokolov")]


def test_as_x_put_it_introduces_a_quotation() -> None:
    quotes = find_quotes('As the writer Jane Roe put it in a column last year, "Every warning makes it popular."')
    assert [(q.text, q.speaker.text) for q in quotes] == [("Every warning makes it popular.", "the writer Jane Roe")]


def test_capitalised_name_particle_opens_a_surname() -> None:
    quotes = find_quotes('"This is about one government," Van Hollen said.')
    assert [q.speaker.text for q in quotes] == ["Van Hollen"]


@pytest.mark.parametrize(
    ("subject", "mention"),
    [
        ("Sen. Jane Roe, D-Md., a co-sponsor,", "Sen. Jane Roe"),
        ("Sen. John Doe, R-S.C.,", "Sen. John Doe"),
        ("Ali Demir, the head of the Defence Agency (DA), which was sanctioned in 2020,", "Ali Demir"),
    ],
)
def test_party_tags_and_parenthesised_names_are_asides(subject: str, mention: str) -> None:
    quotes = find_quotes(f"{subject} said the sale was a risk.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("the sale was a risk", mention)]


def test_partitive_and_restrictive_relative_subjects() -> None:
    quotes = find_quotes('"We are in no hurry," one of them said.')
    assert [q.speaker.text for q in quotes] == ["one of them"]
    quotes = find_quotes("A former official who worked on the file told me that the plan had failed.")
    assert [(q.text, q.speaker.text) for q in quotes] == [("the plan had failed", "A former official")]


def test_plural_role_heads_the_subject() -> None:
    quotes = find_quotes("Congressional aides said the bill was unlikely to pass.")
    assert [q.speaker.text for q in quotes] == ["Congressional aides"]


def test_unidentified_group_in_a_place_is_no_source() -> None:
    assert find_quotes("Some in Ankara argue that the missiles have become a liability.") == []


def test_embedded_post_is_its_authors_quotation() -> None:
    text = (
        "The minister also weighed in on X:\n\n"
        "The issue is closed. pic.twitter.com/abc123 — Jane Roe (@janeroe) June 3, 2023\n"
    )
    quotes = find_quotes(text)
    assert [(q.type, q.text, q.speaker.text) for q in quotes] == [("direct", "The issue is closed.", "Jane Roe")]


def test_partial_quotation_closing_a_sentence_ends_it() -> None:
    text = 'She said the plan was "a costly mistake." "Nobody asked the farmers," she said.'
    assert spans(text) == [("mixed", 'the plan was "a costly mistake."'), ("direct", "Nobody asked the farmers,")]


def test_coordinated_that_clause_belongs_to_the_first_cue() -> None:
    text = "The mayor said the unions had agreed on most points and that the strike would end."
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == ["the unions had agreed on most points and that the strike would end"]
    assert quotes[0].speaker.text == "The mayor"


@pytest.mark.parametrize(
    ("sentence", "mention"),
    [
        ("A senior official in Lisbon, who asked not to be named, said the talks had failed.", "A senior official"),
        ("An aide close to the governor said the talks had failed.", "An aide"),
        ("An official at the finance ministry said the talks had failed.", "An official"),
    ],
    ids=["in-place", "close-to", "at-organisation"],
)
def test_a_role_before_a_place_or_organisation_is_the_source(sentence: str, mention: str) -> None:
    assert [q.speaker.text for q in find_quotes(sentence)] == [mention]


def test_a_capitalised_title_before_a_place_keeps_the_name() -> None:
    quotes = find_quotes("Ambassador to Spain Clara Ruiz said the talks had failed.")
    assert quotes[0].speaker.text.endswith("Clara Ruiz")


def test_surname_with_a_lower_case_arabic_article() -> None:
    text = 'Omar al-Hassan, head of the council, said the vote was delayed. "We will wait," al-Hassan said.'
    assert [q.speaker.text for q in find_quotes(text)] == ["Omar al-Hassan", "al-Hassan"]


def test_plural_and_prefixed_roles_are_sources() -> None:
    text = "The port reopened on Monday, but commanders warned that the cranes were unsafe."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("the cranes were unsafe", "commanders")]
    text = "Lena Moss, co-founder of a Berlin-based start-up, said the funding round had closed."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("the funding round had closed", "Lena Moss")]


def test_lower_case_title_opens_an_appositive() -> None:
    text = "Omar Haddad, senior research fellow at a London institute, estimated that exports had halved."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("exports had halved", "Omar Haddad")]


@pytest.mark.parametrize(
    "text",
    [
        "Sen. Ann Cole (D-Ore.) said the bill would pass.",
        "Sen. Ann Cole (D-Ore.), a member of the budget panel, said the bill would pass.",
    ],
)
def test_party_tag_in_parentheses_is_not_the_source(text: str) -> None:
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("the bill would pass", "Sen. Ann Cole")]


def test_everyone_is_no_source() -> None:
    assert find_quotes("Everyone says they want a ceasefire.") == []


def test_according_to_an_anonymous_source_with_a_modifier() -> None:
    text = "The merger will be announced next week, according to an executive familiar with the talks."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [
        ("The merger will be announced next week", "an executive")
    ]
    text = "The plant will close, according to an official who asked not to be named."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("The plant will close", "an official")]


def test_trailing_per_names_a_source() -> None:
    text = 'The leaders "agreed to meet again in the spring," per the readout.'
    assert [(q.type, q.speaker.text) for q in find_quotes(text)] == [("mixed", "the readout")]
    # "per" as a rate, or before a source that names nobody, is no cue
    assert find_quotes("Fuel cost $5 per gallon, per the data.") == []


def test_opinion_frame_names_the_possessive_as_source() -> None:
    text = "In her view, the reform had come too late."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("the reform had come too late", "her")]
    assert find_quotes("In his view of the harbour, cranes dominate the skyline.") == []


def test_a_belief_opening_a_report_is_part_of_it() -> None:
    text = "The mayor said the council hoped the bridge would reopen in May."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [
        ("the council hoped the bridge would reopen in May", "The mayor")
    ]
    # on its own, a hope with "that" is still reported
    assert spans("The council hoped that the bridge would reopen.") == [("indirect", "the bridge would reopen")]


def test_an_age_without_its_closing_comma_before_the_cue() -> None:
    text = "Dale Morton, 67 said the plant had been closed for years."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [
        ("the plant had been closed for years", "Dale Morton")
    ]


def test_lower_case_elided_particle_in_a_surname() -> None:
    text = "Anne o'Brien, head of the tenants' union, said the rents were too high."
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [("the rents were too high", "Anne o'Brien")]


def test_an_abbreviation_before_an_opening_quotation_ends_the_sentence() -> None:
    text = '"We are closing," said Ben Hale, who runs a shop on Elm st. "Nobody comes any more."'
    assert spans(text) == [("direct", "We are closing,"), ("direct", "Nobody comes any more.")]
    # a title before a name, or an acronym before a quoted term, does not end it
    assert spans('Dr. Lee said the wards were "full to bursting."') == [("mixed", 'the wards were "full to bursting."')]
    assert spans('Lee said the U.S. "Patriot" system was too costly.') == [
        ("mixed", 'the U.S. "Patriot" system was too costly')
    ]


def test_a_lead_repeated_as_a_header_line_gives_one_quote() -> None:
    lead = "The harbour will reopen in May, the port authority said on Monday."
    text = f"{lead}\n\n{lead} Unions said the date was too late.\n\nShips queued outside the port."
    assert [q.text for q in find_quotes(text)] == ["The harbour will reopen in May", "the date was too late"]


def test_typewriter_quotation_marks() -> None:
    text = "The mayor said: ``We will never give up the harbour.'' Then he left."
    (quote,) = extract(text)
    assert (quote.type, quote.text, quote.rule) == ("direct", "We will never give up the harbour.", "cue-before-quote")
    assert text[quote.start : quote.end] == quote.text


def test_a_paragraph_without_final_punctuation_is_still_prose() -> None:
    quotes = find_quotes('Port news\n\nRuth Adler, the harbour master, said the port was "safe and open"')
    assert [(q.type, q.text) for q in quotes] == [("mixed", 'the port was "safe and open"')]


def test_editors_notes_and_datelines_are_never_quotes_or_speakers() -> None:
    assert find_quotes("Editor's note: This story has been updated to include comment from the ministry.") == []
    (quote,) = extract("WASHINGTON, D.C. — The senator said the bill would pass.")
    assert quote.speaker.name == "senator"


def test_a_statement_speaks_for_whoever_issued_it() -> None:
    text = 'The transport ministry issued a statement on Monday.\n\n"The bridge is safe," the statement said.'
    assert [q.speaker.name for q in extract(text)] == ["transport ministry"]


@pytest.mark.parametrize(
    "text",
    [
        "The minister said the plant was safe, and that inspections would continue.",
        'The minister said the plant was "perfectly safe," and that inspections would continue.',
    ],
)
def test_a_coordinated_report_after_a_comma_is_two_quotes(text: str) -> None:
    quotes = find_quotes(text)
    assert [q.text for q in quotes][1:] == ["inspections would continue"]
    assert [q.rule for q in quotes] == ["cue-clause", "coordinated-report"]


def test_without_a_comma_a_coordinated_that_clause_stays_in_one_quote() -> None:
    text = 'The minister said the plant was "perfectly safe" and that inspections would continue.'
    assert [q.type for q in find_quotes(text)] == ["mixed"]


def test_the_interviewer_named_in_the_introduction_is_not_quoted() -> None:
    text = (
        "An interview between presenter Tom Hale and the mayor, Ana Ruiz.\n\n"
        "TOM HALE: The council says the harbour is unsafe.\n\n"
        "ANA RUIZ: The council is wrong, and the inspectors agree with me.\n\n"
        "HALE: Will you resign?\n\n"
        "RUIZ: No. The port reopens on Friday."
    )
    turns = [(q.text, q.speaker.name) for q in extract(text) if q.rule == "speaker-turn"]
    assert turns == [
        ("The council is wrong, and the inspectors agree with me.", "Ana Ruiz"),
        ("No. The port reopens on Friday.", "Ana Ruiz"),
    ]


def test_an_aside_after_a_second_that_stays_inside_the_reported_clause() -> None:
    text = (
        "She pointed out that the first parts arrived in July and that, according to public records, the "
        "system had been tested only once."
    )
    assert [q.text for q in find_quotes(text)] == [
        "the first parts arrived in July and that, according to public records, the system had been tested only once"
    ]


def test_the_sources_next_act_after_and_a_pronoun_ends_the_reported_clause() -> None:
    text = "Ertan said her party would open talks on an exit, and she accused the government of a blunder."
    assert [q.text for q in find_quotes(text)] == ["her party would open talks on an exit"]


def test_a_partial_quotation_right_after_the_subject_makes_a_reported_clause() -> None:
    text = 'The official said the measures "remain in force" for as long as the deal stands.'
    quotes = find_quotes(text)
    assert [(q.text, q.type, q.speaker.text) for q in quotes] == [
        ('the measures "remain in force" for as long as the deal stands', "mixed", "The official")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The minister, briefing journalists, said the measures would remain in force.",
        "The minister, visiting troops near the border, said the measures would remain in force.",
    ],
)
def test_a_participial_aside_with_its_object_sits_between_subject_and_cue(text: str) -> None:
    assert [(q.text, q.speaker.text) for q in find_quotes(text)] == [
        ("the measures would remain in force", "The minister")
    ]


def test_section_headers_of_a_round_up_are_not_transcript_turns() -> None:
    text = (
        "ROME: TALKS RESUME\n\nThe two sides met again on Monday.\n\n"
        "MADRID: A NEW OFFER\n\nThe minister said the offer was fair.\n\n"
        "MS RUIZ: The harbour reopens on Friday.\n\nMS RUIZ: It is safe."
    )
    assert [(q.text, q.rule) for q in extract(text)] == [
        ("the offer was fair", "cue-clause"),
        ("The harbour reopens on Friday.", "speaker-turn"),
        ("It is safe.", "speaker-turn"),
    ]
