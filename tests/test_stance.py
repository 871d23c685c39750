"""Stance models, the evidence they read and target files: every model kind but the default is built tiny from a
config here, never downloaded."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

from annotate.data import STANCE_LABELS, Quote, Span, Speaker, Stance
from annotate.errors import UserError
from annotate.extract import Layout
from annotate.extract.layout import squeeze
from annotate.extract.lexicon import ORG_WORDS
from annotate.stance import (
    ClassifierStance,
    NliStance,
    SideFinder,
    SpeakerMemory,
    StanceItem,
    load_stance_model,
    load_target,
    quote_context,
    speaker_description,
)
from annotate.stance.bert import is_plain_bert
from annotate.stance.learned import MAX_TOKENS, Encoder, HeadStance
from annotate.stance.models import BATCH_SIZE, available_cores, inference_dtype, packaged_encoder

SOURCE_TARGET = Path(str(files("annotate.stance").joinpath("targets", "s400.yaml")))
WORDS = "the minister said turkey will buy keep cancel russian missiles nato deal sanctions weather is nice".split()


def item(text: str, speaker: str = "", side: str | None = None, document: int = 0) -> StanceItem:
    return StanceItem(text, speaker, side, document)


QUOTES = [
    item("turkey will keep the russian missiles", "Minister"),
    item("nato sanctions"),
    item("the weather is nice"),
]


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


ROOT = Path(__file__).resolve().parent.parent


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
    none, favor, against = model.classifier.logits(["nato sanctions"]).softmax(dim=1)[0].tolist()
    scores = model.predict([item("nato sanctions")])[0].scores
    # With no speaker evidence the scores are the model's, with "none" weighted by the model's none_weight.
    weighted = [model.none_weight * none, favor, against]
    expected = [value / sum(weighted) for value in weighted]
    assert [scores["none"], scores["favor"], scores["against"]] == pytest.approx(expected, abs=1e-5)


def tiny_sbert(tmp_path, pooling: str = "mean"):
    base = tiny_bert(tmp_path / f"tiny-bert-{pooling}")
    transformer = Transformer(str(base), max_seq_length=64)
    folder = tmp_path / ("tiny-sbert" if pooling == "mean" else f"tiny-sbert-{pooling}")
    modules = [transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)]
    SentenceTransformer(modules=modules, device="cpu").save(str(folder))
    return folder


LONG_TEXTS = [" ".join([*WORDS[: 1 + n % len(WORDS)] * (1 + n % 9), "said", *WORDS[: n % 4]]) for n in range(70)]


@pytest.mark.parametrize("which", ["packaged", "tiny"])
def test_the_plain_bert_encoder_gives_the_librarys_embeddings_bit_for_bit(tmp_path, which):
    """The default encoder skips sentence-transformers for speed; its embeddings (so its labels) are the library's,
    in the precision this CPU runs (bfloat16 or float32), for texts longer than the model reads."""
    folder = packaged_encoder()[0] if which == "packaged" else tiny_sbert(tmp_path)
    assert len(set(LONG_TEXTS)) == len(LONG_TEXTS)  # the encoder reads each distinct text once
    assert is_plain_bert(folder)
    encoder = Encoder(folder, which)
    assert encoder.uses_library is False
    library = SentenceTransformer(
        str(folder), device="cpu", local_files_only=True, model_kwargs={"dtype": inference_dtype()}
    )
    library.max_seq_length = min(library.max_seq_length, MAX_TOKENS)
    expected = library.encode(LONG_TEXTS, batch_size=BATCH_SIZE, convert_to_tensor=True, normalize_embeddings=True)
    assert encoder.embed(LONG_TEXTS).equal(expected.float())


def test_an_encoder_of_another_pooling_goes_through_sentence_transformers(tmp_path):
    folder = tiny_sbert(tmp_path, pooling="cls")
    assert not is_plain_bert(folder)
    encoder = Encoder(folder, "tiny-cls")
    assert encoder.uses_library is True
    embeddings = encoder.embed(LONG_TEXTS[:5])
    assert embeddings.shape == (5, 32)
    assert embeddings.norm(dim=1).tolist() == pytest.approx([1.0] * 5, abs=1e-2)


def test_an_encoder_gets_a_head_learned_from_the_target_once(tmp_path, target, monkeypatch):
    monkeypatch.setenv("ANNOTATE_CACHE", str(tmp_path / "cache"))
    folder = tiny_sbert(tmp_path)
    trainings = []
    model = load_stance_model(str(folder), target, on_training=lambda: trainings.append(1))
    assert isinstance(model, HeadStance)
    assert model.version.startswith("tiny-sbert+s400-")
    assert_valid(model.predict(QUOTES), len(QUOTES))
    assert model.predict([]) == []
    again = load_stance_model(str(folder), target, on_training=lambda: trainings.append(1))
    assert trainings == [1], "the second load must come from the cache"
    assert again.version == model.version and again.head.weight.equal(model.head.weight)
    # An edited target is another target: it trains anew, under another version.
    edited = tmp_path / "edited.yaml"
    shutil.copy(SOURCE_TARGET.parent / "s400-corpus.jsonl", tmp_path)  # the corpus the target file names
    edited.write_text(
        (SOURCE_TARGET.read_text(encoding="utf-8")).replace("name: s400", "name: s400\n# edited"), encoding="utf-8"
    )
    other = load_stance_model(str(folder), load_target(edited), on_training=lambda: trainings.append(1))
    assert trainings == [1, 1] and other.version != model.version


def test_speaker_evidence_moves_polarity_but_never_topic(default_model):
    """A side and the speaker's other quotes push favor against against; an off-topic remark stays none."""
    doubtful = "The decision on the air defence system will be explained to the allies next week."
    off_topic = "Hotel bookings on the coast rose by a third this summer."
    plain = default_model.predict([item(doubtful)])[0]
    for side, other in (("favor", "against"), ("against", "favor")):
        pushed = default_model.predict([item(doubtful, "A Spokesman", side)])[0]
        assert pushed.scores[side] > plain.scores[side] and pushed.scores[other] < plain.scores[other]
        assert pushed.scores["none"] == pytest.approx(plain.scores["none"], abs=1e-6)
        assert default_model.predict([item(off_topic, "A Spokesman", side)])[0].label == "none"


def test_named_speakers_pool_across_documents_and_unnamed_ones_within_their_document(default_model):
    favor = "Ankara will never give up the Russian air defence batteries; the agreement is signed."
    doubtful = "The decision on the air defence system will be explained to the allies next week."
    alone = default_model.predict([item(doubtful, "Ada Demir", document=2)])[0]
    named = default_model.predict([item(favor, "Ada Demir", document=1), item(doubtful, "Ada Demir", document=2)])[1]
    assert named.scores["favor"] > alone.scores["favor"]
    unnamed = default_model.predict(
        [item(favor, "a senior official", document=1), item(doubtful, "a senior official", document=2)]
    )[1]
    assert unnamed.scores == pytest.approx(
        default_model.predict([item(doubtful, "a senior official", document=2)])[0].scores
    )
    # A memory shared between calls carries the evidence from one call to the next.
    memory = SpeakerMemory()
    default_model.predict([item(favor, "Ada Demir", document=1)], memory)
    assert default_model.predict([item(doubtful, "Ada Demir", document=2)], memory)[0].scores == pytest.approx(
        named.scores
    )


@pytest.mark.parametrize(
    ("description", "side"),
    [
        ("Turkey's foreign minister", "favor"),
        ("the Kremlin", "favor"),
        ("Russia's state arms exporter", "favor"),
        ("a Pentagon spokesman", "against"),
        ("Sen. Ann Cole | Ann Cole | Sen. Ann", "against"),
        ("the leader of the Turkish opposition", "against"),  # the longer phrase claims "Turkish"
        ("an analyst at a Washington think tank", None),  # a place, not an allegiance
        ("a professor of economics", None),
        ("Turkish and US officials", None),  # a tie is no side
    ],
)
def test_sides_of_the_default_target(target, description, side):
    assert SideFinder(target).side(description) == side


def test_speaker_description_reads_titles_and_appositives():
    text = (
        "Defence Minister Kemal Arin met his Russian counterpart, Oleg Varin, on Monday. "
        "Arin, a former general, said the talks went well. Sen. Ann Cole (R-Ohio) disagreed."
    )

    def mention(name: str) -> Speaker:
        start = text.index(name)
        return Speaker(start, start + len(name), name, name)

    assert "Defence Minister Kemal" in speaker_description(text, mention("Kemal Arin"))
    assert "a former general" in speaker_description(text, mention("Kemal Arin"))
    assert "Russian counterpart Oleg" in speaker_description(text, mention("Oleg Varin"))
    assert "Sen. Ann" in speaker_description(text, mention("Ann Cole"))


def test_quote_context_is_the_sentence_with_its_cue_and_speaker():
    text = 'Talks went on all day.\n\n"We will not step back," the minister said on Tuesday. Others left early.\n'
    start = text.index("We will")
    end = text.index(",", start) + 1
    cue = text.index("said")
    speaker = text.index("the minister")
    quote = Quote(
        start,
        end,
        text[start:end],
        cue=Span(cue, cue + 4, "said"),
        speaker=Speaker(speaker, speaker + 12, "the minister", "the minister"),
    )
    context, (quote_start, quote_end) = quote_context(Layout.of(text), quote)
    assert context == '"We will not step back," the minister said on Tuesday.'
    assert context[quote_start:quote_end] == "We will not step back,"
    # A speaker mention in another paragraph (a quote inheriting it) is not pulled in.
    far = Quote(start, end, text[start:end], speaker=Speaker(0, 5, "Talks", "Talks"))
    assert quote_context(Layout.of(text), far) == (context, (quote_start, quote_end))


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ((0, None), ('He said: "We will keep it," and left.', "We will keep it,")),
        ((3, 20), ('said: "We will', "We will")),  # the quote cut by the window
        ((30, None), ("and left.", "and left.")),  # the quote outside it: all of the window stands in
    ],
)
def test_squeeze_keeps_the_quotes_place_in_the_squeezed_text(window, expected):
    text = 'He said:  "We  will\n keep it," and  left.'
    inner = (text.index("We"), text.index(',"') + 1)
    squeezed, (start, end) = squeeze(text, window[0], window[1] or len(text), inner)
    assert (squeezed, squeezed[start:end]) == expected


def test_the_quote_half_of_the_features_reads_the_quotes_tokens_only(tmp_path):
    """One pass gives the mean of the whole text's tokens and of the quote's; with no quote both are the whole's."""
    encoder = Encoder(tiny_sbert(tmp_path), "tiny")
    text = "the minister said on monday that turkey will keep the missiles and nato is angry"
    quote = (text.index("turkey"), text.index(" and nato"))
    whole, quoted = encoder.pooled([text, text], [quote, None])
    assert whole[0].equal(whole[1]) and quoted[1].equal(whole[1])  # no quote: all of the text
    assert not quoted[0].equal(whole[0])
    features = encoder.features([text], [quote])
    assert features.norm().item() == pytest.approx(1.0, abs=1e-2) and features.shape == (1, 2 * whole.shape[1])


def test_missing_or_unusable_models_are_user_errors(tmp_path, target):
    with pytest.raises(UserError, match="stance model nobody/no-such-stance-model not found locally"):
        load_stance_model("nobody/no-such-stance-model", target)
    with pytest.raises(UserError, match="not found locally"):
        load_stance_model(str(tmp_path / "absent"), target)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no readable config.json"):
        load_stance_model(str(tmp_path / "empty"), target)
    (tmp_path / "broken-head").mkdir()
    (tmp_path / "broken-head" / "stance_head.json").write_text("{", encoding="utf-8")
    with pytest.raises(UserError, match="incomplete stance head"):
        load_stance_model(str(tmp_path / "broken-head"), target)


@pytest.fixture(scope="module")
def default_model(target):
    return load_stance_model(None, target)


def test_default_model_reads_clear_stances(default_model):
    assert default_model.version.startswith("all-MiniLM-L6-v2+s400-")
    texts_and_labels = [
        (
            "Ankara will never give up the Russian air defence batteries; the agreement is signed and they arrive soon.",
            "favor",
        ),
        (
            "Buying Russian missiles cannot work with alliance defences, and Washington will punish Ankara with sanctions.",
            "against",
        ),
        # Negation: the words of the other side, turned around.
        ("There is no question of Turkey giving up the Russian missiles.", "favor"),
        ("Turkey should not go ahead with the Russian missile purchase.", "against"),
        # A threat is against, a refusal to bow to one is favor.
        ("If Ankara switches the system on, it will face sanctions.", "against"),
        ("Ankara will not bow to threats of sanctions.", "favor"),
        # Neutral facts near the topic, and the other news of the same articles, are none.
        ("The system's radar can track targets 600 kilometres away.", "none"),
        ("The two delegations will meet again in March.", "none"),
        ("Hotel bookings on the coast rose by a third this summer.", "none"),
        ("The central bank kept interest rates unchanged.", "none"),
    ]
    stances = default_model.predict([item(text, document=number) for number, (text, _) in enumerate(texts_and_labels)])
    assert_valid(stances, len(texts_and_labels))
    assert [s.label for s in stances] == [label for _, label in texts_and_labels]


def test_default_target_has_statements_for_every_label(target):
    assert target.name == "s400"
    assert "S-400" in target.description
    assert all(len(target.statements[label]) >= 3 for label in STANCE_LABELS)
    assert all(len(target.examples[label]) >= 100 for label in STANCE_LABELS)
    assert target.sides["favor"] and target.sides["against"]


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
    assert replace(from_yaml, digest="") == replace(from_toml, digest="")
    assert from_yaml.digest != from_toml.digest  # the files differ, so would their learned heads
    assert from_yaml.statements["against"] == ("The dam floods villages.",)


MINIMAL_TARGET = "name: n\ndescription: d\nstatements: {favor: [a], against: [b], none: [c]}\n"


def test_a_target_corpus_is_learned_from_and_keys_the_model(tmp_path):
    folder = tmp_path / "targets"
    folder.mkdir()
    (folder / "t.yaml").write_text(MINIMAL_TARGET + "corpus: t-corpus.jsonl\n", encoding="utf-8")
    rows = [("The plan is a disaster, she said.", "against", "one"), ("We back it, he said.", "favor", "two")]
    corpus = "".join(json.dumps({"text": t, "label": label, "set": s}) + "\n" for t, label, s in rows)
    (folder / "t-corpus.jsonl").write_text(corpus + "\n", encoding="utf-8")
    target = load_target(folder / "t.yaml")
    assert target.labelled_sentences()[-2:] == [(t, None, label) for t, label, _ in rows]
    (folder / "t-corpus.jsonl").write_text(
        json.dumps({"text": "We  back it, he said.", "label": "favor", "quote": [0, 12]}) + "\n", encoding="utf-8"
    )
    assert load_target(folder / "t.yaml").labelled_sentences()[-1] == ("We back it, he said.", (0, 11), "favor")
    (folder / "t.yaml").write_text(MINIMAL_TARGET + "corpus: t-corpus.jsonl\n", encoding="utf-8")
    (folder / "t-corpus.jsonl").write_text(corpus, encoding="utf-8")
    assert [quote.set for quote in target.corpus] == ["one", "two"]
    # Learning without a set's quotes is another target, so a cached head never stands in for it.
    held_out = target.without_sets({"one"})
    assert [quote.set for quote in held_out.corpus] == ["two"] and held_out.digest != target.digest
    assert target.without_sets({"three"}) is target
    (folder / "t-corpus.jsonl").write_text(corpus.replace("disaster", "mistake"), encoding="utf-8")
    assert load_target(folder / "t.yaml").digest != target.digest  # the corpus is part of what keys the head


def test_the_default_corpus_names_nobody_from_its_articles(target):
    """The corpus is built from gold-annotated sets with people's names replaced; no gold speaker's name (and no
    seed speaker's) is left in it."""
    from annotate.gold import read_gold_json

    corpus = "\n".join(quote.text for quote in target.corpus)
    assert len(target.corpus) > 1000 and {quote.label for quote in target.corpus} == set(STANCE_LABELS)
    golds = [(ROOT / "benchmarks" / "data" / name, ROOT / "benchmarks" / "data" / name / "docs") for name in
             sorted({quote.set for quote in target.corpus})]  # fmt: skip
    golds.append((ROOT / "tests" / "data" / "seeds-gold.json", ROOT / "seeds"))
    names = set()
    for path, docs in golds:
        for document in read_gold_json(path / "gold.json" if path.is_dir() else path, docs):
            names |= {alias for r in document.references for alias in r.aliases if len(alias.split()) == 2
                      and all(word[0].isupper() for word in alias.split())}  # fmt: skip
    # Organisations, countries and groups ("Almaz-Antey Concern", "The US", "Some Republicans") keep their names.
    people = {
        name
        for name in names
        if not any(w in ORG_WORDS | {"Concern", "The", "Some"} or w.isupper() for w in name.split())
    }
    left = sorted(name for name in people if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", corpus))
    assert len(people) > 300 and not left


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
        (
            "badsides.yaml",
            "name: n\ndescription: d\nstatements: {favor: [a], against: [b], none: [c]}\nsides: {none: [x]}\n",
            "'sides' must have only",
        ),
        ("nocorpus.yaml", MINIMAL_TARGET + "corpus: missing.jsonl\n", "is not a file"),
        ("badcorpus.yaml", MINIMAL_TARGET + "corpus: bad.jsonl\n", "bad.jsonl, line 2: expected"),
        ("notjsoncorpus.yaml", MINIMAL_TARGET + "corpus: notjson.jsonl\n", "notjson.jsonl, line 1: not JSON"),
        (
            "badexamples.yaml",
            "name: n\ndescription: d\nstatements: {favor: [a], against: [b], none: [c]}\nexamples: {favor: [1]}\n",
            "examples.favor",
        ),
    ],
)
def test_bad_target_file_is_one_line_user_error(tmp_path, name, content, message):
    (tmp_path / "bad.jsonl").write_text('{"text": "a", "label": "none"}\n{"text": "b", "label": "neutral"}\n')
    (tmp_path / "notjson.jsonl").write_text("text,label\n")
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as raised:
        load_target(path)
    assert "\n" not in str(raised.value)


def test_the_speaker_memory_replaces_a_recent_quote_and_stays_bounded(monkeypatch):
    import torch

    monkeypatch.setattr(SpeakerMemory, "RECENT_QUOTES", 2)
    memory = SpeakerMemory()
    favor, against = torch.tensor([[0.8, 0.1, 0.1]]), torch.tensor([[0.1, 0.8, 0.1]])
    quotes = [StanceItem(f"quote {n}", "Ada Demir", None, document=n, span=(0, 7)) for n in range(3)]
    probe = StanceItem("another", "Ada Demir", None, document=9)

    memory.add(quotes[:1], favor)
    once = memory.others(probe, 0.0, 0.0)
    memory.add(quotes[:1], favor)  # the same quote predicted again: its evidence replaced, not counted twice
    assert memory.others(probe, 0.0, 0.0) == pytest.approx(once)
    memory.add(quotes[1:3], against.repeat(2, 1))
    assert len(memory._recent) == 2  # the oldest quote is no longer remembered one by one
    assert memory.others(probe, 0.0, 0.0) < 0  # but its evidence still counts in the speaker's total


def test_torch_threads_follow_a_containers_cpu_quota(tmp_path):
    cpu_max = tmp_path / "cpu.max"
    affinity = len(os.sched_getaffinity(0))
    for quota, expected in (("max 100000", affinity), ("150000 100000", min(2, affinity)), ("50000 100000", 1)):
        cpu_max.write_text(quota + "\n")
        assert available_cores(cpu_max) == expected, quota
    assert available_cores(tmp_path / "no-cgroup") == affinity
