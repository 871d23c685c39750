"""Stance heads learned on a frozen sentence encoder: from a target's statements and examples (the default model,
cached), and from annotators' corrections (``annotate train``).

The head is a logistic regression over the encoder's normalised embeddings of the quote with its cue and
sentence and of the quote alone (``Encoder.features``), blended with the quote's similarity to the nearest labelled examples (``Head``). Measured on unseen US political news before anything was tuned to it, it read stance from the text
better than fine-tuning the whole encoder on the same sentences (0.64 against 0.56 accuracy), and it trains in
seconds on two CPU cores, so a new or edited target costs one short training, cached in ``$ANNOTATE_CACHE``
(default ``~/.cache/annotate``) under a key made of the target file's content, the encoder and the recipe.

A head folder holds ``stance_head.json`` (labels, version, which encoder), ``stance_head.safetensors`` (the
regression and the examples' embeddings) and, for an encoder other than the packaged one, that encoder in ``encoder/``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..data import STANCE_LABELS
from ..errors import UserError, first_line
from ..files import cache_dir
from .bert import BertEncoder, is_plain_bert
from .evidence import StanceItem
from .models import BATCH_SIZE, StanceModel, inference_dtype, packaged_encoder
from .target import Target

RECIPE_VERSION = "6"  # bump when the recipe below changes, so cached heads are retrained
HEAD_CONFIG = "stance_head.json"
HEAD_WEIGHTS = "stance_head.safetensors"
ENCODER_FOLDER = "encoder"
PACKAGED = "packaged"  # the encoder reference of a head on the packaged all-MiniLM-L6-v2
REGULARISATION = 1.0  # logistic regression's C: set on the development set, where 1 to 4 did alike
NEIGHBOURS = 5  # nearest examples of each label whose mean similarity scores it
SIMILARITY_TEMPERATURE = 0.05  # similarities differ by hundredths: this spreads them to probabilities
# A corpus quote counts twice a written example: it is worded as news prints it, with the cue and sentence the
# model reads (set by leaving one article set out at a time: +1.1 points of accuracy over 1 and 0.5, alike at 3).
CORPUS_WEIGHT = 2.0
MAX_TOKENS = 128  # a quote's sentence fits; a longer paragraph is read from its start (the quote's own start)


class Encoder:
    """A sentence encoder run on the CPU, its embeddings normalised; ``name`` is what to record. A BERT with mean
    pooling (the packaged default) runs in plain torch (``bert.py``: the same embeddings, without the seconds that
    importing sentence-transformers costs); any other folder through sentence-transformers."""

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = folder, name
        try:
            if is_plain_bert(folder):
                self._bert, self._library = BertEncoder(folder, MAX_TOKENS, inference_dtype()), None
            else:
                from sentence_transformers import SentenceTransformer

                self._bert, self._library = (
                    None,
                    SentenceTransformer(
                        str(folder), device="cpu", local_files_only=True, model_kwargs={"dtype": inference_dtype()}
                    ),
                )
                self._library.max_seq_length = min(self._library.max_seq_length or MAX_TOKENS, MAX_TOKENS)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise UserError(f"encoder {folder}: cannot be loaded ({first_line(exc)}); nothing is downloaded") from None

    @property
    def uses_library(self) -> bool:
        return self._library is not None

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """Each text's normalised embedding, as sentence-transformers gives it."""
        return self.pooled(texts)[0]

    def features(self, texts: Sequence[str], quotes: Sequence[tuple[int, int] | None] | None = None) -> torch.Tensor:
        """What a head reads: each text's embedding beside its quote's (``quotes``: where each quote is in its text;
        None: all of it), each half scaled so that a row has unit length and a dot product is the mean of the two
        cosines. The quote's own half reads what is said apart from the cue and the sentence around it: leaving one
        article set out at a time, a regression on both read stance better than on the text alone (0.74 against
        0.71 accuracy over eighteen sets), at no cost, since the default encoder pools both from one pass."""
        whole, quoted = self.pooled(texts, quotes)
        return torch.cat([whole, quoted], dim=1) / math.sqrt(2)

    def pooled(
        self, texts: Sequence[str], quotes: Sequence[tuple[int, int] | None] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # Each distinct reading once (a wire story quoted in several articles, two quotes of one sentence); both
        # paths sort by length (less padding) and run without gradients.
        readings = list(zip(texts, quotes or [None] * len(texts), strict=True))
        distinct = list(dict.fromkeys(readings))
        distinct_texts, distinct_quotes = [text for text, _ in distinct], [quote for _, quote in distinct]
        if self._bert is not None:  # the quote's tokens are pooled in the same pass as the whole text's
            whole, quoted = self._bert.embed(distinct_texts, BATCH_SIZE, distinct_quotes)
        else:  # another encoder's pooling is its own: the quote's text is embedded apart
            whole = self._encode(distinct_texts)
            inner = [text[q[0] : q[1]] if q else text for text, q in distinct]
            quoted = whole if inner == distinct_texts else self._encode(inner)
        position = {reading: number for number, reading in enumerate(distinct)}
        rows = [position[reading] for reading in readings]
        return whole[rows], quoted[rows]

    def _encode(self, texts: list[str]) -> torch.Tensor:
        return self._library.encode(
            texts, batch_size=BATCH_SIZE, convert_to_tensor=True, normalize_embeddings=True
        ).float()


@dataclass(frozen=True)
class Head:
    """What is learned on the encoder: a logistic regression, and the labelled examples it was learned from.

    A quote's probabilities are the mean of the regression's and of its similarity to the nearest examples of each
    label. Measured on nine unseen sets, the blend read stance better than either alone on seven (S-400: +1 to +4
    points of accuracy); the regression generalises, the neighbours keep the wording of few, specific examples.
    """

    weight: torch.Tensor  # labels x dimensions, in STANCE_LABELS order
    bias: torch.Tensor
    examples: torch.Tensor  # the examples' features (unit rows)
    labels: torch.Tensor  # each example's label, as an index into STANCE_LABELS

    def probabilities(self, embeddings: torch.Tensor) -> torch.Tensor:
        regression = torch.softmax(embeddings @ self.weight.T + self.bias, dim=1)
        similarities = embeddings @ self.examples.T
        nearest = torch.stack(
            [
                similarities[:, self.labels == index]
                .topk(min(NEIGHBOURS, int((self.labels == index).sum())), dim=1)
                .values.mean(dim=1)
                for index in range(len(STANCE_LABELS))
            ],
            dim=1,
        )
        return (regression + torch.softmax(nearest / SIMILARITY_TEMPERATURE, dim=1)) / 2

    def tensors(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name).contiguous() for name in ("weight", "bias", "examples", "labels")}


class HeadStance(StanceModel):
    """Stance from a head on a frozen encoder's embeddings of each quote's text."""

    def __init__(self, encoder: Encoder, head: Head, version: str, target: Target):
        super().__init__(version, target)
        self.encoder, self.head = encoder, head

    def text_probabilities(self, items: Sequence[StanceItem]) -> torch.Tensor:
        return self.head.probabilities(self.encoder.features([item.text for item in items], [i.quote for i in items]))


@dataclass(frozen=True)
class Labelled:
    """What a head learns from: texts, where each one's quote is (None: all of it), labels and weights."""

    texts: list[str]
    quotes: list[tuple[int, int] | None]
    labels: list[str]
    weights: list[float]

    def __add__(self, other: Labelled) -> Labelled:
        return Labelled(*(getattr(self, f) + getattr(other, f) for f in ("texts", "quotes", "labels", "weights")))

    def head(self, encoder: Encoder) -> Head:
        """The head learned from these on ``encoder``."""
        return learn_head(encoder.features(self.texts, self.quotes), self.labels, self.weights)


def target_sentences(target: Target) -> Labelled:
    """What a head learns from a target: its statements, examples and corpus."""
    sentences = target.labelled_sentences()
    written = len(sentences) - len(target.corpus)
    return Labelled(
        [text for text, _, _ in sentences],
        [quote for _, quote, _ in sentences],
        [label for _, _, label in sentences],
        [1.0] * written + [CORPUS_WEIGHT] * len(target.corpus),
    )


def learn_head(embeddings: torch.Tensor, labels: Sequence[str], weights: Sequence[float] | None = None) -> Head:
    """A head from labelled embeddings: the regression weights each label inversely to its frequency, so a rare
    stance counts as much as a common one."""
    from sklearn.linear_model import LogisticRegression

    missing = set(STANCE_LABELS) - set(labels)
    if missing:
        raise UserError(f"no {', '.join(sorted(missing))} quotes to learn from: every label needs at least one")
    regression = LogisticRegression(C=REGULARISATION, max_iter=5000, class_weight="balanced")
    regression.fit(embeddings.numpy(), list(labels), sample_weight=None if weights is None else list(weights))
    order = [list(regression.classes_).index(label) for label in STANCE_LABELS]
    return Head(
        torch.tensor(regression.coef_[order], dtype=torch.float32),
        torch.tensor(regression.intercept_[order], dtype=torch.float32),
        embeddings.float(),
        torch.tensor([STANCE_LABELS.index(label) for label in labels]),
    )


def save_head(folder: Path, head: Head, encoder: Encoder, info: dict) -> None:
    """Write a head folder; an encoder other than the packaged one is copied in, so the folder stands alone."""
    from safetensors.torch import save_file

    if encoder.folder.resolve() == packaged_encoder()[0].resolve():
        reference = PACKAGED
    else:
        shutil.copytree(encoder.folder, folder / ENCODER_FOLDER)
        reference = ENCODER_FOLDER
    save_file(head.tensors(), str(folder / HEAD_WEIGHTS))
    config = {"labels": list(STANCE_LABELS), "encoder": reference, **info}
    (folder / HEAD_CONFIG).write_text(json.dumps(config, indent=1, ensure_ascii=False), encoding="utf-8")


def head_digest(head: Head) -> str:
    """A short content hash of a head's weights: two trainings into one folder get two model versions."""
    digest = hashlib.sha256()
    for name, tensor in sorted(head.tensors().items()):
        digest.update(name.encode())
        digest.update(tensor.cpu().float().numpy().tobytes())
    return digest.hexdigest()[:8]


def is_head(folder: Path) -> bool:
    return (folder / HEAD_CONFIG).is_file()


def load_head(folder: Path, version: str | None, target: Target, encoder: Encoder | None = None) -> HeadStance:
    """The head in ``folder`` on its encoder (``encoder`` when already loaded), as ``version`` (default: the
    version it was saved with)."""
    from safetensors.torch import load_file

    try:
        config = json.loads((folder / HEAD_CONFIG).read_text(encoding="utf-8"))
        head = Head(**load_file(str(folder / HEAD_WEIGHTS)))
        reference = config["encoder"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"stance model {folder}: incomplete stance head ({first_line(exc)})") from None
    if encoder is None:
        encoder = (
            Encoder(*packaged_encoder())
            if reference == PACKAGED
            else Encoder(folder / reference, config.get("base_model") or folder.name)
        )
    return HeadStance(encoder, head, version or config.get("version") or folder.name, target)


def _encoder_identity(folder: Path, name: str) -> str:
    """The encoder as the cache key sees it: its name, place and the sizes of its files."""
    files = sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*") if p.is_file())
    return json.dumps([name, str(folder.resolve()), files])


def target_head(folder: Path, name: str, target: Target, on_training: Callable[[], None] | None = None) -> HeadStance:
    """A head on the encoder in ``folder`` learned from ``target``'s statements and examples; cached."""
    key = hashlib.sha256(f"{target.digest}\n{_encoder_identity(folder, name)}\n{RECIPE_VERSION}".encode()).hexdigest()[
        :12
    ]
    version = f"{name}+{target.name}-{key[:8]}"
    cached = cache_dir() / "stance" / f"{target.name}-{key}"
    encoder = Encoder(folder, name)
    if is_head(cached):
        return load_head(cached, version, target, encoder)
    if on_training:
        on_training()
    sentences = target_sentences(target)
    head = sentences.head(encoder)
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cached.parent, prefix=f".{cached.name}.", suffix=".tmp"))
    try:
        info = {
            "version": version,
            "target": target.name,
            "base_model": name,
            "examples": len(sentences.texts),
            "recipe": RECIPE_VERSION,
        }
        save_head(staging, head, encoder, info)
        try:
            os.rename(staging, cached)
        except OSError:  # another run cached the same head first: theirs serves
            if not is_head(cached):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return HeadStance(encoder, head, version, target)
