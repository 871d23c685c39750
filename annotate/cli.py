"""The ``annotate`` command line."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import studio
from .batching import batched
from .data import Document
from .documents import INPUT_SUFFIXES, InputError, iter_documents
from .errors import UserError
from .files import atomic_file, atomic_folder, check_output_file, check_output_folder, check_writable

app = typer.Typer(
    help="Pre-label quotes, speakers and stance in news text; round-trip them through Label Studio.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Soft wrap: an error stays one line however narrow the terminal (or 80 columns when not one).
err = Console(stderr=True, soft_wrap=True)
# Documents pre-labelled together: their speakers' evidence is pooled at once, later windows add to it.
PRELABEL_WINDOW = 2000


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    label_studio = "label-studio"
    parquet = "parquet"


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more detail.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )
    # Model loading draws its own progress bars on stderr even when it is not a terminal; ours is enough.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    # Third-party libraries are chatty at INFO; our own warnings (bad bytes in a file) must still show.
    for noisy in ("httpx", "sentence_transformers", "transformers", "urllib3", "datasets", "ray"):
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


def build_prelabeller(stance_model: str | None, target: Path | None, batch_size: int):
    from .pipeline import Prelabeller

    def on_training() -> None:
        # A pause of seconds (a minute for a large encoder) deserves a word on a terminal, not in a log.
        if err.is_terminal:
            err.print("learning the stance head for this target and encoder (once: it is cached)", highlight=False)

    return Prelabeller(stance_model=stance_model, target=target, batch_size=batch_size, on_training=on_training)


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
    typer.Option(
        "--stance-model",
        help="Stance model: a local folder or hub id (a favor/against/none classifier, an NLI model, or an encoder to train on the target). Default: packaged all-MiniLM-L6-v2 trained on the target.",
    ),
]
TargetOption = Annotated[
    Path | None,
    typer.Option("--target", help="Target file (YAML or TOML). Default: Turkey's purchase of the Russian S-400."),
]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", min=1, help="Documents per stance-model batch.")]

StudioDirOption = Annotated[
    Path, typer.Option("--data-dir", envvar="ANNOTATE_STUDIO_DIR", help="Data folder of the embedded Label Studio.")
]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="LABEL_STUDIO_URL", help="Label Studio URL. Default: the running embedded server."),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="LABEL_STUDIO_API_KEY",
        help="Legacy API token or personal access token (prefer LABEL_STUDIO_API_KEY: arguments show in `ps`). Default: the embedded server's.",
        show_default=False,
    ),
]


def read_inputs(paths: list[Path], problems: list[InputError], skip: set[str] = frozenset()) -> Iterator[Document]:
    """The documents of ``paths`` one at a time (memory stays flat however many there are), except those whose id
    is in ``skip``; each unreadable input is printed in one line and added to ``problems``."""
    for item in iter_documents(paths):
        if isinstance(item, InputError):
            err.print(f"[bold red]error:[/] {item}", highlight=False)
            problems.append(item)
        elif item.id not in skip:
            yield item


def finished_ids(output: Path) -> set[str]:
    """The ids an earlier ``prelabel --resume`` run wrote to ``output``. A last line cut short by a crash is removed,
    so the rerun writes that document again, whole."""
    if not output.exists():
        return set()
    with open(output, "r+b") as handle:
        raw = handle.read()
        complete = raw[: raw.rfind(b"\n") + 1]
        if len(complete) < len(raw):
            handle.truncate(len(complete))
    try:
        # Only "\n" ends a record: a text may hold U+2028 raw, where str.splitlines() would split it.
        return {str(json.loads(line)["id"]) for line in complete.decode("utf-8").split("\n") if line.strip()}
    except (ValueError, KeyError, TypeError):
        raise fail(f"{output} is not pre-label JSONL written by annotate prelabel; it was left as it was") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def prelabel_output(output: Path, paths: list[Path], output_format: OutputFormat) -> Path:
    """The file to write: ``output``, or the file it links to (a rename onto the link would replace the link); for
    parquet, the folder of shards. Fails before any work when it cannot be written, or is an input: rewritten at
    the end, the input would be lost; appended to by --resume while it is read, it would never end."""
    if output_format is OutputFormat.parquet:
        from .records import is_shard_folder

        check_output_folder(output)
        if output.exists() and not is_shard_folder(output):
            raise UserError(f"{output} exists and is not a folder of pre-label shards; choose another --output")
        for path in paths:
            if _same_file(output, path) or output.resolve() in path.resolve().parents:
                raise UserError(f"--output {output} holds the input {path}; write the shards elsewhere")
        check_writable(output)
        return output
    check_output_file(output)
    if output.exists() and not output.is_file():
        raise UserError(f"{output} is not a regular file; give a file name")
    if output.is_symlink():
        output = output.resolve()
    for path in paths:
        if _same_file(output, path):
            raise UserError(f"--output {output} is the input {path}; write the pre-labels to another file")
        if path.is_dir() and output.suffix.lower() in INPUT_SUFFIXES and _same_file(output.parent, path):
            raise UserError(
                f"--output {output} is in the input folder {path}, which reads it as an input; write it elsewhere"
            )
    check_writable(output)
    return output


@contextmanager
def writing(output: Path) -> Iterator[None]:
    """A write that fails (a full disk) names the file it was for, which Python's error does not."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None


@contextmanager
def record_writer(output: Path, output_format: OutputFormat, resume: bool) -> Iterator[Callable[[Document], None]]:
    """A function that writes one pre-labelled document to ``output``: all of it lands when the block ends, or
    nothing does (with ``resume``, each JSON line is appended as it comes)."""
    if output_format is OutputFormat.parquet:
        from .records import ParquetShards, is_shard_folder

        with atomic_folder(output, is_shard_folder, "a folder of pre-label shards") as folder:
            shards = ParquetShards(folder, PRELABEL_WINDOW)
            yield lambda document: shards.add(document.to_dict())
            with writing(output):
                shards.flush()
        return
    with open(output, "a", encoding="utf-8") if resume else atomic_file(output) as handle:
        if output_format is OutputFormat.label_studio:
            from .labelstudio import document_to_task

            tasks = []
            yield lambda document: tasks.append(document_to_task(document))
            with writing(output):
                json.dump(tasks, handle, ensure_ascii=False, indent=1)
        else:

            def write_line(document: Document) -> None:
                handle.write(json.dumps(document.to_dict(), ensure_ascii=False) + "\n")
                if resume:
                    handle.flush()

            yield write_line
        with writing(output):
            handle.flush()  # the last of it, so that a full disk is named here and not at the closing


@app.command()
def prelabel(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help=".txt files, folders of them, .jsonl files of {id, text}, .parquet files, or datasets save_to_disk folders."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the pre-labels.")],
    target: TargetOption = None,
    stance_model: StanceModelOption = None,
    batch_size: BatchSizeOption = 32,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="jsonl records; a JSON list of Label Studio tasks; or parquet: --output is a folder of shards "
            "(part-00000.parquet, ...), one per 2,000 documents, with the jsonl record's fields typed.",
        ),
    ] = OutputFormat.jsonl,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Skip documents whose id the output already holds and append the others, each as soon as it is "
            "pre-labelled (jsonl only): a stopped run continues where it stopped.",
        ),
    ] = False,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local: this process; ray: a Ray cluster's workers read the batches.")
    ] = Engine.local,
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (host:port). Default: a local Ray.")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Ray actors, each loading the model once.")] = 2,
) -> None:
    """Pre-label quotes, speakers and stance in articles."""
    output = prelabel_output(output, paths, output_format)
    if resume and output_format is not OutputFormat.jsonl:
        raise fail("--resume appends JSON lines; use it with --format jsonl")
    problems: list[InputError] = []
    documents = read_inputs(paths, problems, finished_ids(output) if resume else set())
    first = next(documents, None)
    if first is None:
        if problems:  # a typo in the path: keep whatever the output holds
            raise fail(f"no input could be read; {output} left as it was")
        err.print(f"nothing new to pre-label; {output} left as it was", highlight=False)
        return
    prelabeller = build_prelabeller(stance_model, target, batch_size)
    reader = None
    if engine is Engine.ray:
        from .distributed import ray_reader

        reader = ray_reader(address, workers, stance_model, target, batch_size)
    written = quotes = 0
    with progress() as bar, record_writer(output, output_format, resume) as write:
        task = bar.add_task("pre-labelling", total=None)
        # A window of documents at a time: the speaker memory pools across windows, and memory stays bounded.
        for window in batched(chain([first], documents), PRELABEL_WINDOW):
            for document in prelabeller.prelabel(window, reader):
                with writing(output):
                    write(document)
                written, quotes = written + 1, quotes + len(document.quotes)
                bar.advance(task)
    err.print(f"{written} documents, {quotes} quotes -> {output}", highlight=False)
    if problems:
        raise fail(f"{len(problems)} input(s) could not be read")


@app.command()
def push(
    paths: Annotated[list[Path], typer.Argument(help=".txt files, folders of them, or .jsonl files of {id, text}.")],
    project: Annotated[str, typer.Option("--project", help="Label Studio project title; created if missing.")],
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
    target: TargetOption = None,
    stance_model: StanceModelOption = None,
    batch_size: BatchSizeOption = 32,
) -> None:
    """Pre-label articles and import them into a Label Studio project as tasks with predictions (documents already there are skipped)."""
    from .labelstudio import project_title, push_documents

    project = project_title(project)
    documents, problems = load_inputs(paths)
    # Check the server and token before loading the model, so a typo fails fast.
    client = studio.connect_to(url, api_key, data_dir)
    with err.status("pre-labelling and importing"):
        report = push_documents(client, project, documents, lambda: build_prelabeller(stance_model, target, batch_size))
    failed = len(report.failed) + len(problems)
    typer.echo(f"project {project!r}: {report.created} created, {report.skipped} skipped, {failed} failed")
    if report.duplicates_removed:
        typer.echo(f"{report.duplicates_removed} task(s) imported twice by pushes running at once were removed")
    if failed:
        raise fail(f"{failed} document(s) could not be pushed")


@app.command()
def export(
    project: Annotated[str, typer.Option("--project", help="Label Studio project title.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Dataset folder to write, e.g. exports/NAME; an earlier export there is replaced only on success.",
        ),
    ],
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
    target: TargetOption = None,
) -> None:
    """Export a project's human annotations as a Hugging Face dataset folder (configs `quotes` and `documents`)."""

    from .dataset import write_dataset
    from .labelstudio import base_url, export_tasks
    from .memory import collector_paused
    from .stance import load_target

    check_output_folder(output)
    client = studio.connect_to(url, api_key, data_dir)
    found = find_project(client, project)
    stance_target = load_target(target)
    # Decoding and the dataset's rows allocate millions of objects that are kept, not garbage.
    with err.status("exporting"), collector_paused():
        tasks = studio.read_project(data_dir, base_url(client), found.id)
        if tasks is None:
            tasks = export_tasks(client, found.id, snapshot_dir=studio.export_snapshots(data_dir, base_url(client)))
        with writing(output):
            summary = write_dataset(tasks, output, name=project, target=stance_target)
    review = ", ".join(f"{summary.review[status]} {status}" for status in ("kept", "edited", "deleted", "added"))
    typer.echo(
        f"{summary.quotes} quotes in {summary.annotations} annotations of {summary.annotated_tasks} tasks -> {output}"
    )
    typer.echo(
        f"not exported: {summary.tasks_without_annotation} task(s) without annotation, {summary.cancelled_annotations} cancelled annotation(s)"
    )
    typer.echo(f"pre-labels: {review}")


DatasetOption = Annotated[
    Path,
    typer.Option(
        "--dataset",
        help="An exported dataset folder (exports/NAME), or gold JSON (a file or a folder of them) with --docs.",
    ),
]
DocsOption = Annotated[Path | None, typer.Option("--docs", help="Folder of the articles that gold JSON labels.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.command()
def evaluate(
    dataset: DatasetOption,
    docs: DocsOption = None,
    stance_model: StanceModelOption = None,
    target: TargetOption = None,
    batch_size: BatchSizeOption = 32,
    as_json: JsonOption = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also write a PNG: stance confusion matrix and stance by speaker.")
    ] = None,
) -> None:
    """Re-run the pre-labeller on annotated documents and score it against the annotations."""
    from . import evaluate as evaluation
    from .dataset import load_gold
    from .gold import first_annotation_per_task

    if plot:
        check_output_file(plot)
        check_writable(plot)
    gold = first_annotation_per_task(load_gold(dataset, docs))
    prelabeller = build_prelabeller(stance_model, target, batch_size)
    with progress() as bar:
        task = bar.add_task("pre-labelling", total=len(gold))
        report = evaluation.evaluate(gold, prelabeller, on_document=lambda: bar.advance(task))
    if plot:
        evaluation.plot(report, plot)
    if as_json:
        typer.echo(json.dumps(report, indent=1))
    else:
        evaluation.render(report, Console())
    if plot:
        err.print(f"plot -> {plot}", highlight=False)


@app.command()
def agreement(
    project: Annotated[
        str | None, typer.Option("--project", help="Label Studio project title (annotations read from the server).")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option("--dataset", help="An exported dataset folder (exports/NAME).")
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Inter-annotator agreement on tasks with two or more annotations: quote spans, stance (Krippendorff's alpha), speakers."""
    from . import agreement as figures
    from .dataset import gold_from_documents, load_export

    if (project is None) == (dataset is None):
        raise UserError("give either --project or --dataset")
    if dataset is not None:
        rows = load_export(dataset, "documents")
    else:
        from .dataset import export_rows
        from .labelstudio import base_url, export_tasks

        client = studio.connect_to(url, api_key, data_dir)
        snapshots = studio.export_snapshots(data_dir, base_url(client))
        with err.status("reading annotations"):
            rows = export_rows(export_tasks(client, find_project(client, project).id, snapshot_dir=snapshots)).documents
    report = figures.agreement(gold_from_documents(rows))
    if as_json:
        typer.echo(json.dumps(report, indent=1))
    else:
        figures.render(report, Console())


@app.command()
def train(
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset", help="An exported dataset folder (exports/NAME) whose quotes carry human stance labels."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Model folder to write, e.g. models/NAME; an earlier model there is replaced only on success.",
        ),
    ],
    base_model: Annotated[
        str | None,
        typer.Option(
            "--base-model",
            help="Sentence encoder (local folder or cached hub id; nothing is downloaded), or a model from annotate train whose encoder to use. Default: packaged all-MiniLM-L6-v2.",
        ),
    ] = None,
    target: TargetOption = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for the held-out split: the same seed gives the same model.")
    ] = 13,
    test_size: Annotated[
        float,
        typer.Option(
            "--test-size", min=0.0, max=0.9, help="Share of quotes held out for the reported metrics (0: none)."
        ),
    ] = 0.2,
) -> None:
    """Learn a stance model from human-labelled quotes (with the target's examples); use it with prelabel --stance-model."""
    from .stance import load_target
    from .train import Settings
    from .train import train as learn

    check_output_folder(output)
    check_writable(output)
    with err.status("training"):
        info = learn(dataset, output, load_target(target), base_model, Settings(seed=seed, test_size=test_size))
    typer.echo(f"trained on {info['train_quotes']} quotes ({info['quotes']} labelled) -> {output}")
    metrics = info["metrics"]
    if metrics:
        typer.echo(
            f"held out {metrics['n']} quotes: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}"
        )


@app.command()
def rules(as_json: JsonOption = False) -> None:
    """The extraction rules: the name each pre-tag records, its confidence (the pre-tag's score) and what it finds."""
    from rich.table import Table

    from .extract import RULES

    if as_json:
        described = [
            {"name": r.name, "confidence": r.confidence, "description": " ".join(r.doc.split())} for r in RULES.values()
        ]
        typer.echo(json.dumps(described, indent=1))
        return
    table = Table(title=f"{len(RULES)} extraction rules")
    for column in ("rule", "confidence", "finds", "example"):
        table.add_column(column)
    for r in RULES.values():
        table.add_row(r.name, f"{r.confidence:.2f}", " ".join(r.doc.split()), r.examples[0].text)
    Console().print(table)


studio_app = typer.Typer(
    help="The embedded Label Studio: a local server on 127.0.0.1 with SQLite in a data folder (or PostgreSQL).",
    no_args_is_help=True,
)
app.add_typer(studio_app, name="studio")


@studio_app.command("start")
def studio_start(
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1.")] = studio.DEFAULT_PORT,
    stall: Annotated[
        float,
        typer.Option(
            "--stall-timeout", min=1, help="Give up when the starting server shows no progress for this many seconds."
        ),
    ] = studio.DEFAULT_STALL,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="PostgreSQL instead of SQLite: postgresql://USER@HOST:PORT/DB, the password in PGPASSWORD. "
            "The data folder keeps it for later starts.",
        ),
    ] = None,
) -> None:
    """Start Label Studio in the background (or show the one running); the first start creates an admin login and API
    tokens, and its database migrations take a few minutes on a busy machine."""
    try:
        with err.status("starting Label Studio") as status:
            first = not (data_dir / studio.CREDENTIALS_FILE).exists()
            note = " (first start: setting up its database)" if first else ""

            def waiting(seconds: float) -> None:
                status.update(f"starting Label Studio{note}: {seconds:.0f} s, still working")

            server = studio.start(data_dir, port=port, stall=stall, on_wait=waiting, database=database)
        typer.echo(f"Label Studio is running at {server.url} (pid {server.pid})")
    except studio.AlreadyRunning as running:
        server = running.server
        typer.echo(f"Label Studio is already running at {server.url} (pid {server.pid})")
    typer.echo(f"login: {server.username}")
    if (on := studio.read_database(server.data_dir)) is not None:
        typer.echo(f"database: {on.url}")
    typer.echo(f"password and API tokens: {server.credentials_path} (readable only by you)")
    typer.echo(f"log: {server.log_path}")


@studio_app.command("add-user")
def studio_add_user(
    email: Annotated[str, typer.Argument(help="The annotator's email, their login.")],
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
) -> None:
    """Add an annotator to the embedded Label Studio; their password and API token go to a file only you can read."""
    with err.status(f"adding {email}"):
        path = studio.add_user(data_dir, email)
    typer.echo(f"login: {email}")
    typer.echo(f"password and API token: {path} (readable only by you; pass it on privately)")


@studio_app.command("stop")
def studio_stop(data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR) -> None:
    """Stop the embedded Label Studio started from the data folder."""
    pid = studio.stop(data_dir)
    typer.echo("Label Studio was not running" if pid is None else f"Label Studio stopped (pid {pid})")


@studio_app.command("status")
def studio_status(data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR) -> None:
    """Say whether the embedded Label Studio is running, and its URL; exit code 1 when it is not."""
    state = studio.running_server(data_dir.resolve())
    if state is None:
        typer.echo("Label Studio is not running")
        raise typer.Exit(1)
    health = "healthy" if studio.healthy(state["url"]) else "not answering yet"
    typer.echo(f"Label Studio is running at {state['url']} (pid {state['pid']}, {health})")


backend_app = typer.Typer(
    help="Label Studio ML backend: live pre-annotation, with the stance model retrained from the annotations.",
    no_args_is_help=True,
)
app.add_typer(backend_app, name="backend")

ProjectOption = Annotated[str, typer.Option("--project", help="Label Studio project title.")]
BasicAuthUserOption = Annotated[
    str | None,
    typer.Option(
        "--basic-auth-user", envvar="BASIC_AUTH_USER", help="Basic auth user between Label Studio and the backend."
    ),
]
BasicAuthPassOption = Annotated[
    str | None,
    typer.Option(
        "--basic-auth-pass",
        envvar="BASIC_AUTH_PASS",
        help="Basic auth password (prefer BASIC_AUTH_PASS: arguments show in `ps`).",
        show_default=False,
    ),
]
WebhookSecretOption = Annotated[
    str | None,
    typer.Option(
        "--webhook-secret",
        envvar="ANNOTATE_WEBHOOK_SECRET",
        help="Secret Label Studio's webhook must send the backend (prefer ANNOTATE_WEBHOOK_SECRET: arguments show in `ps`).",
        show_default=False,
    ),
]
DEFAULT_MODEL_DIR = Path("backend-models")


def basic_auth(user: str | None, password: str | None) -> tuple[str, str] | None:
    if bool(user) != bool(password):
        raise UserError("basic auth needs both --basic-auth-user and --basic-auth-pass")
    return (user, password) if user and password else None


def find_project(client, name: str):
    from .labelstudio import get_project

    project = get_project(client, name)
    if project is None:
        raise UserError(f"no Label Studio project titled {name!r}")
    return project


@backend_app.command("serve")
def backend_serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; loopback keeps it private to this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 9090,
    stance_model: StanceModelOption = None,
    target: TargetOption = None,
    batch_size: BatchSizeOption = 32,
    retrain_every: Annotated[
        int,
        typer.Option(
            "--retrain-every",
            min=0,
            help="Retrain after this many new or updated annotations in a project (0: only on Label Studio's Train button).",
        ),
    ] = 10,
    model_dir: Annotated[
        Path,
        typer.Option(
            "--model-dir",
            help="Folder for the retrained stance models (one folder each, named by version) and the webhook secret.",
        ),
    ] = DEFAULT_MODEL_DIR,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
    basic_auth_user: BasicAuthUserOption = None,
    basic_auth_pass: BasicAuthPassOption = None,
    webhook_secret: WebhookSecretOption = None,
) -> None:
    """Serve the ML backend API Label Studio calls (/health, /setup, /predict, /webhook) until Ctrl+C.

    Annotations are read for retraining from --url/--api-key, else the embedded server, else the server that connected.
    Without --webhook-secret, the secret is made on the first start in MODEL_DIR/webhook.secret and kept.
    """
    import transformers

    from .backend import LabelStudioAccess, build_app, listen, read_webhook_secret, serve, stored_webhook_secret
    from .train import Settings

    sock = listen(host, port)
    auth = basic_auth(basic_auth_user, basic_auth_pass)
    if auth is None and host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"[yellow]warning:[/] anyone who reaches {host}:{port} can use the backend; set --basic-auth-user/--basic-auth-pass",
            highlight=False,
        )
    if webhook_secret is None:
        secret_file = stored_webhook_secret(model_dir)
        webhook_secret = read_webhook_secret(secret_file)
        err.print(
            f"webhook secret in {secret_file}: connect with annotate backend connect --webhook-secret-file {secret_file}",
            highlight=False,
        )
    access = LabelStudioAccess(*studio.resolve_connection(url, api_key, data_dir))
    settings = Settings()
    prelabeller = build_prelabeller(stance_model, target, batch_size)
    # Retraining news (new model version, or why a training failed) is what the operator watches for;
    # the libraries' progress bars and the new classifier head's load report at each retraining are not.
    logging.getLogger("annotate.backend").setLevel(logging.INFO)
    transformers.utils.logging.set_verbosity_error()
    api = build_app(prelabeller, model_dir, retrain_every, access, settings, auth, webhook_secret)
    err.print(
        f"ML backend on http://{host}:{port}, stance model {prelabeller.model_version}; Ctrl+C stops it",
        highlight=False,
    )
    serve(api, sock)


@backend_app.command("connect")
def backend_connect(
    project: ProjectOption,
    backend_url: Annotated[
        str, typer.Option("--backend-url", help="URL at which Label Studio reaches the backend.")
    ] = "http://127.0.0.1:9090",
    title: Annotated[str, typer.Option("--title", help="Name of the connection in Label Studio.")] = "annotate",
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
    basic_auth_user: BasicAuthUserOption = None,
    basic_auth_pass: BasicAuthPassOption = None,
    webhook_secret: WebhookSecretOption = None,
    webhook_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--webhook-secret-file",
            help=f"File with the secret, as `backend serve` keeps it in its --model-dir; used over --webhook-secret. Default: {DEFAULT_MODEL_DIR / 'webhook.secret'} when there is one.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Connect a running backend to a project: "Retrieve predictions", interactive pre-annotation and retraining."""
    from .backend import WEBHOOK_SECRET_FILE, read_webhook_secret
    from .labelstudio import connect_backend

    auth = basic_auth(basic_auth_user, basic_auth_pass)
    default_secret_file = DEFAULT_MODEL_DIR / WEBHOOK_SECRET_FILE
    if webhook_secret_file is not None:
        webhook_secret = read_webhook_secret(webhook_secret_file)
    elif webhook_secret is None and default_secret_file.is_file():
        webhook_secret = read_webhook_secret(default_secret_file)
    if webhook_secret is None and auth is None:
        err.print(
            "[yellow]warning:[/] no webhook secret (--webhook-secret-file, ANNOTATE_WEBHOOK_SECRET): "
            "the backend refuses Label Studio's annotation events, so it will not retrain",
            highlight=False,
        )
    client = studio.connect_to(url, api_key, data_dir)
    connection = connect_backend(client, find_project(client, project), backend_url, title, auth, webhook_secret)
    typer.echo(
        f"project {project!r}: ML backend {connection.url} connected (id {connection.id}, model version {connection.model_version})"
    )


@backend_app.command("status")
def backend_status(
    project: ProjectOption,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    data_dir: StudioDirOption = studio.DEFAULT_DATA_DIR,
) -> None:
    """Say whether Label Studio reaches the project's ML backends; exit code 1 when none is connected or one is down."""
    from .labelstudio import backend_problem, project_backends

    client = studio.connect_to(url, api_key, data_dir)
    backends = project_backends(client, find_project(client, project))
    if not backends:
        raise UserError(f"project {project!r} has no ML backend; connect one with annotate backend connect")
    problems = [problem for problem in map(backend_problem, backends) if problem]
    if problems:
        raise UserError("; ".join(problems))
    for connection in backends:
        typer.echo(
            f"project {project!r}: ML backend {connection.url} connected, model version {connection.model_version}"
        )


class Stopped(BaseException):
    """SIGTERM, raised where the program is, so that open atomic writes remove their temporary files (a
    BaseException: no ``except Exception`` that carries on past one bad document may swallow it)."""


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def run() -> None:
    """Console entry point: user errors raised anywhere end in one line and exit code 1; SIGTERM stops the command
    with nothing half-written (exit code 143), as Ctrl-C does (130)."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        app()
    except Stopped:
        err.print("stopped (SIGTERM); nothing half-written was left", highlight=False)
        sys.exit(128 + signal.SIGTERM)
    except UserError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except OSError as exc:  # a disk full or a permission denied while writing: one line, never a traceback
        err.print(f"[bold red]error:[/] {exc.filename or ''}: {exc.strerror or exc}", highlight=False)
        sys.exit(1)
