"""Stance models and target files: every model kind is built tiny from a config here, never downloaded."""

from __future__ import annotations

import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

from annotate.data import STANCE_LABELS, Quote, Speaker, Stance
from annotate.errors import UserError
from annotate.stance import ClassifierStance, NliStance, SimilarityStance, load_stance_model, load_target

WORDS = "the minister said turkey will buy keep cancel russian missiles nato deal sanctions weather is nice".split()


def quote(text: str, speaker: str | None = "Minister") -> Quote:
    return Quote(0, len(text), text, speaker=Speaker(0, 0, speaker, speaker) if speaker else None)


QUOTES = [quote("turkey will keep the russian missiles"), quote("nato sanctions", None), quote("the weather is nice")]


def tiny_bert(folder, id2label: dict[int, str] | None = None):
    """A one-layer BERT with a word-piece vocabulary of a few words, saved with its tokenizer to ``folder``."""
    folder.mkdir()
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ":", *WORDS]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), model_max_length=64)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    if id2label is None:
        model = BertModel(config)
    else:
        config.id2label = id2label
        config.label2id = {label: index for index, label in id2label.items()}
        model = BertForSequenceClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def target():
    return load_target(None)


def assert_valid(stances: list[Stance], count: int) -> None:
    assert len(stances) == count
    for stance in stances:
        assert stance.label in STANCE_LABELS
        assert set(stance.scores) == set(STANCE_LABELS)
        assert sum(stance.scores.values()) == pytest.approx(1.0, abs=1e-4)
        assert stance.label == max(stance.scores, key=stance.scores.get)


def test_nli_model_is_detected_and_used_zero_shot(tmp_path, target):
    folder = tiny_bert(tmp_path / "tiny-nli", {0: "entailment", 1: "neutral", 2: "contradiction"})
    model = load_stance_model(str(folder), target)
    assert isinstance(model, NliStance)
    assert model.version == "tiny-nli+s400"
    assert_valid(model.predict(QUOTES), len(QUOTES))


def test_stance_classifier_is_detected_and_maps_its_label_order(tmp_path, target):
    folder = tiny_bert(tmp_path / "tiny-stance", {0: "none", 1: "FAVOR", 2: "against"})
    model = load_stance_model(str(folder), target)
    assert isinstance(model, ClassifierStance)
    assert model.version == "tiny-stance"
    assert_valid(model.predict(QUOTES), len(QUOTES))
    # The model's own column order is none, favor, against: each score must come back under its own name.
    own_order = model.classifier.logits([("nato sanctions", target.description)]).softmax(dim=1)[0].tolist()
    scores = model.predict([quote("nato sanctions", None)])[0].scores
    assert [scores["none"], scores["favor"], scores["against"]] == pytest.approx(own_order, abs=1e-5)


def test_sentence_transformers_folder_uses_similarity(tmp_path, target):
    base = tiny_bert(tmp_path / "tiny-bert")
    transformer = Transformer(str(base), max_seq_length=64)
    pooling = Pooling(transformer.get_embedding_dimension())
    folder = tmp_path / "tiny-sbert"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    model = load_stance_model(str(folder), target)
    assert isinstance(model, SimilarityStance)
    assert model.version == "tiny-sbert+s400"
    alone = model.predict(QUOTES)
    assert_valid(alone, len(QUOTES))
    assert model.predict([]) == []

    # Two quotes of one speaker are blended only when they come from the same document.
    pair = [quote("turkey will keep the russian missiles"), quote("the weather is nice")]
    separate = model.predict(pair, document_ids=["a", "b"])
    together = model.predict(pair, document_ids=["a", "a"])
    assert separate[0].scores == pytest.approx(alone[0].scores, abs=1e-5)
    assert together[0].scores != pytest.approx(separate[0].scores, abs=1e-5)
    keep = 1 - model.speaker_weight
    for label in STANCE_LABELS:
        gap = separate[0].scores[label] - separate[1].scores[label]
        assert together[0].scores[label] - together[1].scores[label] == pytest.approx(keep * gap, abs=1e-4)


def test_missing_or_unusable_models_are_user_errors(tmp_path, target):
    with pytest.raises(UserError, match="stance model nobody/no-such-stance-model not found locally"):
        load_stance_model("nobody/no-such-stance-model", target)
    with pytest.raises(UserError, match="not found locally"):
        load_stance_model(str(tmp_path / "absent"), target)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no readable config.json"):
        load_stance_model(str(tmp_path / "empty"), target)
    folder = tiny_bert(tmp_path / "sentiment", {0: "negative", 1: "positive"})
    with pytest.raises(UserError, match="neither NLI"):
        load_stance_model(str(folder), target)


@pytest.fixture(scope="module")
def default_model(target):
    return load_stance_model(None, target)


def test_default_model_reads_clear_stances(default_model):
    assert default_model.version == "all-MiniLM-L6-v2+s400"
    texts_and_labels = [
        ("Ankara will never give up the Russian air defence batteries; the agreement is signed and they arrive soon.", "favor"),
        ("Buying Russian missiles cannot work with alliance defences, and Washington will punish Ankara with sanctions.", "against"),
        # Negation: the words of the other side, turned around.
        ("There is no question of Turkey giving up the Russian missiles.", "favor"),
        ("Turkey should not go ahead with the Russian missile purchase.", "against"),
        # Other news of the same articles is about something else.
        ("Hotel bookings on the coast rose by a third this summer.", "none"),
        ("The central bank kept interest rates unchanged.", "none"),
    ]
    stances = default_model.predict([quote(text) for text, _ in texts_and_labels])
    assert_valid(stances, len(texts_and_labels))
    assert [s.label for s in stances] == [label for _, label in texts_and_labels]


def test_default_model_reads_the_quote_not_the_speaker_name(default_model):
    text = "The central bank kept interest rates unchanged."
    named, anonymous = default_model.predict([quote(text, "Recep Tayyip Erdogan"), quote(text, None)])
    assert named.scores == pytest.approx(anonymous.scores, abs=1e-5)


def test_default_target_has_statements_for_every_label(target):
    assert target.name == "s400"
    assert "S-400" in target.description
    assert all(len(target.statements[label]) >= 3 for label in STANCE_LABELS)


def test_target_from_yaml_and_toml(tmp_path):
    (tmp_path / "t.yml").write_text(
        "name: dams\ndescription: building the river dam\nstatements:\n"
        "  favor: [The dam brings power.]\n  against: [The dam floods villages.]\n  none: [It rained.]\n",
        encoding="utf-8",
    )
    (tmp_path / "t.toml").write_text(
        'name = "dams"\ndescription = "building the river dam"\n[statements]\n'
        'favor = ["The dam brings power."]\nagainst = ["The dam floods villages."]\nnone = ["It rained."]\n',
        encoding="utf-8",
    )
    from_yaml, from_toml = load_target(tmp_path / "t.yml"), load_target(str(tmp_path / "t.toml"))
    assert from_yaml == from_toml
    assert from_yaml.statements["against"] == ("The dam floods villages.",)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.yaml", None, "cannot be read"),
        ("broken.yaml", "name: [unclosed\n", "not valid YAML"),
        ("broken.toml", "name = \n", "not valid TOML"),
        ("list.yaml", "- a\n- b\n", "expected a mapping"),
        ("nameless.yaml", "description: d\nstatements: {favor: [a], against: [b], none: [c]}\n", "'name'"),
        ("twolabels.yaml", "name: n\ndescription: d\nstatements: {favor: [a], against: [b]}\n", "exactly the keys"),
        ("emptylabel.yaml", "name: n\ndescription: d\nstatements: {favor: [], against: [b], none: [c]}\n", "favor"),
        ("target.json", "{}", "expected a .yaml"),
    ],
)
def test_bad_target_file_is_one_line_user_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as raised:
        load_target(path)
    assert "\n" not in str(raised.value)
