"""The label config is valid for Label Studio, every prediction the project makes fits it, and the
converters round-trip quotes through Label Studio results (emoji before a quote included)."""

from __future__ import annotations

import pytest
from label_studio_sdk.label_interface import LabelInterface

from annotate.data import Quote, Speaker, Stance
from annotate.labelstudio import document_to_task, label_config, quotes_to_result, result_to_quotes


@pytest.fixture(scope="module")
def interface() -> LabelInterface:
    return LabelInterface(label_config())


def region(region_id: str, from_name: str, kind: str, start: int, end: int, **value) -> dict:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": "text",
        "type": kind,
        "value": {"start": start, "end": end, **value},
    }


def test_config_is_valid_and_has_the_expected_controls(interface):
    interface.validate()  # raises on schema, duplicate-name or toName errors
    controls = {control.name: control for control in interface.controls}
    assert {"label", "stance", "type", "speaker_name"} <= controls.keys()
    assert set(controls["label"].labels) == {"Quote", "Speaker"}
    assert set(controls["stance"].labels) == {"favor", "against", "none"}
    assert set(controls["type"].labels) == {"direct", "indirect", "mixed"}
    for per_region in ("stance", "type", "speaker_name"):
        assert controls[per_region].attr.get("perRegion") == "true"


def test_every_seed_prediction_fits_the_config(interface, prelabelled_seeds):
    assert len(prelabelled_seeds) == 5
    assert sum(len(document.quotes) for document in prelabelled_seeds) > 0
    for document in prelabelled_seeds:
        task = document_to_task(document)
        prediction = task["predictions"][0]
        assert prediction["model_version"] == document.model_version
        assert interface.validate_prediction(prediction, return_errors=True) == [], document.id


def test_hand_built_regions_choices_textarea_and_relation_validate(interface):
    text = 'The minister said "we will buy it".'
    result = [
        region("q", "label", "labels", 19, 33, text="we will buy it", labels=["Quote"]),
        region("q", "stance", "choices", 19, 33, choices=["favor"]),
        region("q", "type", "choices", 19, 33, choices=["direct"]),
        region("s", "label", "labels", 0, 12, text=text[0:12], labels=["Speaker"]),
        region("s", "speaker_name", "textarea", 0, 12, text=["Defence Minister"]),
        {"type": "relation", "from_id": "q", "to_id": "s", "direction": "right", "labels": ["said_by"]},
    ]
    assert interface.validate_prediction({"result": result}, return_errors=True) == []

    wrong = [dict(item) for item in result]
    wrong[1] = region("q", "stance", "choices", 19, 33, choices=["maybe"])
    wrong[5] = {**result[5], "to_id": "missing"}
    errors = interface.validate_prediction({"result": wrong}, return_errors=True)
    assert any("stance" in str(error) for error in errors)
    assert any("missing" in str(error) for error in errors)


def test_result_round_trips_quotes_with_emoji_before_them(interface):
    text = '🇹🇷 Ankara 🚀: "We bought it," the minister said. 😀 Critics said it was a mistake.'
    first, speaker_text, second = "We bought it,", "the minister", "it was a mistake"
    at, spoken_by, later = text.index(first), text.index(speaker_text), text.index(second)
    quotes = [
        Quote(
            at,
            at + len(first),
            first,
            type="direct",
            speaker=Speaker(spoken_by, spoken_by + len(speaker_text), speaker_text, "Hulusi Akar"),
            stance=Stance("favor", {"favor": 1.0, "against": 0.0, "none": 0.0}),
            id="q1",
        ),  # fmt: skip
        Quote(
            later,
            later + len(second),
            second,
            type="indirect",
            stance=Stance("against", {"favor": 0.0, "against": 1.0, "none": 0.0}),
            id="q2",
            rule="trailing-cue",
        ),  # fmt: skip
    ]
    result = quotes_to_result(quotes)
    assert interface.validate_prediction({"result": result}, return_errors=True) == []

    # Label Studio stores code points (its front end converts the browser's UTF-16 indices), so every
    # span's offsets select its text in the Python string; test_browser.py checks the display.
    spans = [item["value"] for item in result if item["type"] == "labels"]
    assert len(spans) == 3
    for value in spans:
        assert text[value["start"] : value["end"]] == value["text"]

    back = result_to_quotes(text, result)
    assert [(q.start, q.end, q.text, q.type, q.stance.label, q.id, q.rule) for q in back] == [
        (q.start, q.end, q.text, q.type, q.stance.label, q.id, q.rule) for q in quotes
    ]
    assert back[0].speaker == quotes[0].speaker
    assert back[1].speaker is None
