"""Every extraction rule's examples, run as one test per example: the sentence must give the quote, type and
speaker the rule documents, and the quote must record that rule (its score is the rule's confidence)."""

from __future__ import annotations

import pytest

from annotate.extract import RULES, extract
from annotate.extract.rules import UNCLOSED_PENALTY

EXAMPLES = [(rule, example) for rule in RULES.values() for example in rule.examples]


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=[f"{rule.name}-{n}" for n, (rule, _) in enumerate(EXAMPLES)]
)
def test_rule_example(rule, example) -> None:
    quotes = {q.text: q for q in extract(example.text)}
    assert example.quote in quotes, f"{rule.name}: no quote {example.quote!r} in {list(quotes)}"
    quote = quotes[example.quote]
    assert (quote.rule, quote.type) == (rule.name, example.type)
    assert quote.score == rule.confidence
    said = quote.speaker.name if quote.speaker else None
    assert said == example.speaker


def test_every_rule_is_documented_with_examples() -> None:
    for rule in RULES.values():
        assert rule.examples and rule.doc.strip(), rule.name
        assert 0 < rule.confidence - UNCLOSED_PENALTY < rule.confidence <= 1


def test_an_unclosed_passage_costs_confidence() -> None:
    (quote,) = extract('The mayor said: "We will never give up the harbour.\n\nThe council met on Monday.')
    assert quote.rule == "cue-before-quote"
    assert quote.score == pytest.approx(RULES["cue-before-quote"].confidence - UNCLOSED_PENALTY)
