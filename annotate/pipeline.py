"""The pre-labeller: quote spans -> speakers -> stance, with the stance model loaded once and batched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from .data import Document
from .quotes import find_quotes
from .speakers import attribute_speakers
from .stance import StanceModel, load_stance_model, load_target


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Prelabeller:
    """Pre-tags documents. Build it once; ``prelabel`` takes any number of documents."""

    def __init__(self, stance_model: str | None = None, target: str | Path | None = None, batch_size: int = 32):
        self.target = load_target(target)
        self.stance_model: StanceModel = load_stance_model(stance_model, self.target)
        self.batch_size = batch_size

    @property
    def model_version(self) -> str:
        return self.stance_model.version

    def extract(self, document: Document) -> Document:
        """Quotes and speakers for one document; stance is filled in by ``prelabel``."""
        quotes = find_quotes(document.text)
        attribute_speakers(document.text, quotes)
        for number, quote in enumerate(quotes, start=1):
            quote.id = f"q{number}"
        document.quotes = quotes
        document.model_version = self.model_version
        return document

    def prelabel(self, documents: Iterable[Document]) -> Iterator[Document]:
        """Yield each document with its quotes, one stance-model call per batch of documents."""
        for batch in _batched(documents, self.batch_size):
            for document in batch:
                self.extract(document)
            quotes = [quote for document in batch for quote in document.quotes]
            # Which document each quote is from: the stance model evens out a speaker's stance within one article.
            document_ids = [index for index, document in enumerate(batch) for _ in document.quotes]
            for quote, stance in zip(quotes, self.stance_model.predict(quotes, document_ids), strict=True):
                quote.stance = stance
            yield from batch
