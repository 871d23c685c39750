"""The pre-labeller: quote spans -> speakers -> stance, with the stance model loaded once and batched."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .batching import batched
from .data import Document
from .extract import Layout, extract
from .stance import SideFinder, SpeakerMemory, StanceModel, load_stance_model, load_target, stance_items


def _document_key(document: Document) -> str:
    """Documents are told apart by content: a wire story printed twice is one document, a task predicted again
    the same (its evidence replaces the earlier)."""
    return hashlib.sha1(document.text.encode()).hexdigest()


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

    def prelabel(self, documents: Iterable[Document]) -> Iterator[Document]:
        """Yield each document with its quotes. Two passes: the stance model reads every quote (one call per
        batch of documents) and the memory takes in each speaker's evidence; then each quote's stance is decided
        with all of it, so the first article gains from the last."""
        read = []
        for batch in batched(documents, self.batch_size):
            items = []
            for document in batch:
                layout = Layout.of(document.text)  # read once, by extraction and by the stance evidence
                self.extract(document, layout)
                items += stance_items(document, self.sides, _document_key(document), layout)
            probabilities = self.stance_model.text_probabilities(items) if items else None
            if items:
                self.memory.add(items, probabilities)
            read.append((batch, items, probabilities))
        for batch, items, probabilities in read:
            if items:
                stances = iter(self.stance_model.decide(items, probabilities, self.memory))
                for document in batch:
                    for quote in document.quotes:
                        quote.stance = next(stances)
            yield from batch
