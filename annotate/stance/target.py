"""Target files: what stance is taken toward, how each side argues, and who typically argues it.

A target file (YAML or TOML) has:
- ``name`` and ``description`` (a noun phrase: "Turkey's purchase of the Russian S-400 ...");
- ``statements``: a few typical claims per label (favor / against / none), shown to annotators and trained on;
- ``examples`` (optional): more labelled sentences as news prints them, with attribution, negations,
  conditionals and neutral facts; the default stance classifier is trained on statements and examples together;
- ``sides`` (optional): for favor and against, short phrases that place a speaker on that side when they occur in
  the speaker's description ("Turkish", "the Pentagon", "NATO"). Written as general descriptions of the debate,
  never taken from one article;
- ``corpus`` (optional): a JSON-lines file, its path relative to the target file, of quotes labelled in annotated
  articles, as the stance model reads them (the quote with its cue and sentence) with people's names replaced:
  ``{"text": ..., "label": ..., "set": ..., "quote": [start, end]}`` per line, ``set`` naming the article set each
  came from and ``quote`` (optional) where the quote is in the text (``tools/build_corpus.py`` writes one from
  gold-annotated sets). It is learned from with the examples.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path

import yaml

from ..data import STANCE_LABELS
from ..errors import UserError, first_line
from ..extract.layout import squeeze

DEFAULT_TARGET = "s400.yaml"
SIDES = ("favor", "against")  # the labels a speaker's side can lean to; "none" is about the quote, not the speaker


@dataclass(frozen=True)
class CorpusQuote:
    """A labelled quote of a target's corpus: its text as the stance model reads it, its stance and its set."""

    text: str
    label: str
    set: str = ""
    quote: tuple[int, int] | None = None  # where the quote is in ``text``; None: all of it


@dataclass(frozen=True)
class Target:
    """What stance is taken toward. ``digest`` identifies the file's content (it keys the trained default model)."""

    name: str
    description: str
    statements: dict[str, tuple[str, ...]]
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    corpus: tuple[CorpusQuote, ...] = ()
    digest: str = ""

    def labelled_sentences(self) -> list[tuple[str, tuple[int, int] | None, str]]:
        """(sentence, where its quote is, label) for every statement, example and corpus quote: what the default
        classifier learns from. A written statement is all quote."""
        written = [
            (sentence, None, label)
            for label in STANCE_LABELS
            for sentence in (*self.statements[label], *self.examples.get(label, ()))
        ]
        return written + [(quote.text, quote.quote, quote.label) for quote in self.corpus]

    def without_sets(self, names: Collection[str]) -> Target:
        """This target without the corpus quotes of the named article sets, so that those sets can be scored as
        unseen; a target of its own (its digest differs)."""
        kept = tuple(quote for quote in self.corpus if quote.set not in names)
        if len(kept) == len(self.corpus):
            return self
        removed = ",".join(sorted(names))
        return replace(self, corpus=kept, digest=hashlib.sha256(f"{self.digest}-{removed}".encode()).hexdigest())


# libyaml's safe loader where PyYAML was built with it: the default target's thousand examples parse in a tenth
# of the pure-Python loader's time, which was a third of the pre-labeller's start-up.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_TARGET_BYTES = 5_000_000  # a target file is a page or two of YAML; a huge one is a mistake
MAX_CORPUS_BYTES = 50_000_000  # some tens of thousands of quotes


def _read_corpus(source: Path, value: object) -> tuple[tuple[CorpusQuote, ...], str]:
    """The corpus file a target names (relative to the target file), and its content hash."""
    if not _nonempty_text(value):
        raise UserError(f"target file {source}: 'corpus' must be the path of a JSON-lines file")
    path = source.parent / str(value)
    try:
        if not path.is_file():
            raise UserError(f"target file {source}: corpus {path} is not a file")
        if path.stat().st_size > MAX_CORPUS_BYTES:
            raise UserError(f"target file {source}: corpus {path} is larger than {MAX_CORPUS_BYTES // 1_000_000} MB")
        raw = path.read_bytes()
        lines = raw.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"corpus {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    quotes = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise UserError(f"corpus {path}, line {number}: not JSON") from None
        if (
            not isinstance(row, dict)
            or not _nonempty_text(row.get("text"))
            or row.get("label") not in STANCE_LABELS
            or not isinstance(row.get("set", ""), str)
            or not _quote_offsets(row.get("quote"), row.get("text"))
        ):
            labels = "/".join(STANCE_LABELS)
            raise UserError(
                f'corpus {path}, line {number}: expected {{"text": ..., "label": {labels}, "set": ..., '
                '"quote": [start, end] (optional: where the quote is in the text)}'
            )
        text, quote = squeeze(row["text"], 0, len(row["text"]), row.get("quote") or (0, len(row["text"])))
        quotes.append(
            CorpusQuote(text, row["label"], row.get("set", ""), quote if row.get("quote") is not None else None)
        )
    return tuple(quotes), hashlib.sha256(raw).hexdigest()


def _quote_offsets(value: object, text: object) -> bool:
    """Absent, or [start, end] character offsets of a non-empty part of ``text``."""
    if value is None:
        return True
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(type(offset) is int for offset in value)
        and 0 <= value[0] < value[1] <= len(str(text))
    )


def _read_target_file(path: Path) -> tuple[object, str]:
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".toml"}:
        raise UserError(f"target file {path}: expected a .yaml, .yml or .toml file")
    try:
        if path.exists() and not path.is_file():  # a FIFO would wait for a writer, a device never end
            raise UserError(f"target file {path}: not a regular file")
        if path.stat().st_size > MAX_TARGET_BYTES:
            raise UserError(f"target file {path}: larger than {MAX_TARGET_BYTES // 1_000_000} MB")
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"target file {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = tomllib.loads(text) if suffix == ".toml" else yaml.load(text, Loader=SAFE_LOADER)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"target file {path}: not valid {suffix[1:].upper()} ({first_line(exc)})") from None
    return data, hashlib.sha256(raw).hexdigest()


def _nonempty_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _sentences(
    source: Path, data: dict, key: str, labels: tuple[str, ...], required: bool
) -> dict[str, tuple[str, ...]]:
    """A mapping of label -> non-empty list of strings; every label required, or any subset when optional."""
    section = data.get(key)
    if section is None and not required:
        return {}
    if not isinstance(section, dict) or (set(section) != set(labels) if required else not set(section) <= set(labels)):
        expected = ", ".join(labels)
        raise UserError(
            f"target file {source}: '{key}' must have {'exactly' if required else 'only'} the keys {expected}"
        )
    for label, items in section.items():
        if not isinstance(items, list) or (required and not items) or not all(_nonempty_text(s) for s in items):
            raise UserError(
                f"target file {source}: {key}.{label} must be a {'non-empty ' if required else ''}list of strings"
            )
    return {label: tuple(" ".join(s.split()) for s in section[label]) for label in labels if label in section}


def load_target(path: str | Path | None = None) -> Target:
    """Read a target file (YAML or TOML); ``None`` is the packaged S-400 target."""
    source = Path(path) if path is not None else Path(str(files("annotate.stance").joinpath("targets", DEFAULT_TARGET)))
    data, digest = _read_target_file(source)
    if not isinstance(data, dict):
        raise UserError(f"target file {source}: expected a mapping with name, description and statements")
    for key in ("name", "description"):
        if not _nonempty_text(data.get(key)):
            raise UserError(f"target file {source}: '{key}' must be a non-empty string")
    corpus: tuple[CorpusQuote, ...] = ()
    if "corpus" in data:
        corpus, corpus_digest = _read_corpus(source, data["corpus"])
        digest = hashlib.sha256(f"{digest}{corpus_digest}".encode()).hexdigest()
    return Target(
        name=data["name"].strip(),
        description=" ".join(data["description"].split()),
        statements=_sentences(source, data, "statements", STANCE_LABELS, required=True),
        examples=_sentences(source, data, "examples", STANCE_LABELS, required=False),
        sides=_sentences(source, data, "sides", SIDES, required=False),
        corpus=corpus,
        digest=digest,
    )
