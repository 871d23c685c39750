"""The pre-labeller: quote spans -> speakers -> stance, with the stance model loaded once and batched."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from .batching import batched
from .data import Document
from .extract import Layout, extract
from .memory import return_freed_memory
from .stance import (
    SideFinder,
    SpeakerMemory,
    StanceItem,
    StanceModel,
    load_stance_model,
    load_target,
    stance_items,
)


def _document_key(document: Document) -> str:
    """Documents are told apart by content: a wire story printed twice is one document, a task predicted again
    the same (its evidence replaces the earlier)."""
    return hashlib.sha1(document.text.encode()).hexdigest()


@dataclass
class ReadBatch:
    """A batch of documents after the first pass: quotes found, and the stance model's probabilities for them."""

    documents: list[Document]
    items: list[StanceItem]
    probabilities: torch.Tensor | None


Reader = Callable[[Iterator[list[Document]]], Iterable[ReadBatch]]


class Prelabeller:
    """Pre-tags documents. Build it once; ``prelabel`` takes any number of documents.

    ``memory`` pools each speaker's stance over everything this pre-labeller has seen (a run of the CLI, a push,
    a backend's requests): a source argues the same side from one article to the next.
    """

    def __init__(
        self,
        stance_model: str | None = None,
        target: str | Path | None = None,
        batch_size: int = 32,
        on_training: Callable[[], None] | None = None,
    ):
        self.target = load_target(target)
        self.stance_model: StanceModel = load_stance_model(stance_model, self.target, on_training)
        self.sides = SideFinder(self.target)
        self.batch_size = batch_size
        self.memory = SpeakerMemory()

    @property
    def model_version(self) -> str:
        return self.stance_model.version

    def extract(self, document: Document, layout: Layout | None = None) -> Document:
        """Quotes and speakers for one document (``layout``: its layout, when already computed); stance is filled
        in by ``prelabel``."""
        quotes = extract(document.text, layout)
        for number, quote in enumerate(quotes, start=1):
            quote.id = f"q{number}"
        document.quotes = quotes
        document.model_version = self.model_version
        return document

    def remember(self, documents: Iterable[Document]) -> None:
        """Take in the stances annotators gave to the quotes of other documents (a project's corrected tasks) as
        evidence about their speakers."""
        items, labels = [], []
        for document in documents:
            items += stance_items(document, self.sides, _document_key(document))
            labels += [quote.stance.label for quote in document.quotes]
        self.memory.add_labels(items, labels)

    def read(self, batch: list[Document]) -> ReadBatch:
        """The first pass over one batch: quotes, speakers and the stance model's reading of each quote's text.
        It needs nothing from other batches, so it can run anywhere (``distributed.py`` runs it on Ray)."""
        items = []
        for document in batch:
            layout = Layout.of(document.text)  # read once, by extraction and by the stance evidence
            self.extract(document, layout)
            items += stance_items(document, self.sides, _document_key(document), layout)
        read = ReadBatch(batch, items, self.stance_model.text_probabilities(items) if items else None)
        return_freed_memory()
        return read

    def prelabel(self, documents: Iterable[Document], reader: Reader | None = None) -> Iterator[Document]:
        """Yield each document with its quotes. Two passes: the stance model reads every quote (``read``, one call
        per batch of documents; ``reader`` does it for all batches elsewhere, in order) and the memory takes in each
        speaker's evidence; then each quote's stance is decided with all of it, so the first article gains from the
        last."""
        batches = batched(documents, self.batch_size)
        read = []
        for batch in reader(batches) if reader else map(self.read, batches):
            if batch.items:
                self.memory.add(batch.items, batch.probabilities)
            read.append(batch)
        for batch in read:
            if batch.items:
                stances = iter(self.stance_model.decide(batch.items, batch.probabilities, self.memory))
                for document in batch.documents:
                    for quote in document.quotes:
                        quote.stance = next(stances)
            yield from batch.documents
