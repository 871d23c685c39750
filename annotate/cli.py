"""The ``annotate`` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .documents import InputError, iter_documents
from .errors import UserError

app = typer.Typer(help="Pre-label quotes, speakers and stance in news text; round-trip them through Label Studio.", no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True)


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    label_studio = "label-studio"


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more detail.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )
    # Third-party libraries are chatty at INFO; our own warnings (bad bytes in a file) must still show.
    for noisy in ("httpx", "sentence_transformers", "transformers", "urllib3", "datasets"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose else logging.ERROR)


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


def progress() -> Progress:
    """A progress bar on stderr; rich hides it when stderr is not a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@contextmanager
def atomic_output(path: Path, mode: str = "w"):
    """Write to a temporary file beside ``path`` and rename it into place only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_prelabeller(stance_model: str | None, target: Path | None, batch_size: int):
    from .pipeline import Prelabeller

    return Prelabeller(stance_model=stance_model, target=target, batch_size=batch_size)


def load_inputs(paths: list[Path]) -> tuple[list, list[InputError]]:
    documents, problems = [], []
    for item in iter_documents(paths):
        if isinstance(item, InputError):
            err.print(f"[bold red]error:[/] {item}", highlight=False)
            problems.append(item)
        else:
            documents.append(item)
    return documents, problems


StanceModelOption = Annotated[
    str | None,
    typer.Option("--stance-model", help="Stance model: a local folder or hub id (NLI, favor/against/none classifier, or sentence-transformers). Default: packaged all-MiniLM-L6-v2."),
]
TargetOption = Annotated[Path | None, typer.Option("--target", help="Target file (YAML or TOML). Default: Turkey's purchase of the Russian S-400.")]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", min=1, help="Documents per stance-model batch.")]


@app.command()
def prelabel(
    paths: Annotated[list[Path], typer.Argument(help=".txt files, folders of them, or .jsonl files of {id, text}.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the pre-labels.")],
    target: TargetOption = None,
    stance_model: StanceModelOption = None,
    batch_size: BatchSizeOption = 32,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="jsonl records, or a JSON list of Label Studio tasks.")] = OutputFormat.jsonl,
) -> None:
    """Pre-label quotes, speakers and stance in articles."""
    documents, problems = load_inputs(paths)
    prelabeller = build_prelabeller(stance_model, target, batch_size)
    labelled = []
    with progress() as bar:
        task = bar.add_task("pre-labelling", total=len(documents))
        for document in prelabeller.prelabel(documents):
            labelled.append(document)
            bar.advance(task)
    with atomic_output(output) as handle:
        if output_format is OutputFormat.jsonl:
            for document in labelled:
                handle.write(json.dumps(document.to_dict(), ensure_ascii=False) + "\n")
        else:
            from .labelstudio import document_to_task

            json.dump([document_to_task(d) for d in labelled], handle, ensure_ascii=False, indent=1)
    quotes = sum(len(d.quotes) for d in labelled)
    err.print(f"{len(labelled)} documents, {quotes} quotes -> {output}", highlight=False)
    if problems:
        raise fail(f"{len(problems)} input(s) could not be read")


def run() -> None:
    """Console entry point: user errors raised anywhere end in one line and exit code 1."""
    try:
        app()
    except UserError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
