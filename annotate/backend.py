"""Label Studio ML backend: live pre-annotation, and retraining of the stance model from the annotations.

Label Studio 1.23 (``label_studio/ml/api_connector.py``) calls, with basic auth when the connection has it:
``GET /health``; ``POST /setup`` with ``{project: "<id>.<created>", schema, hostname, access_token}``, answered
with ``{model_version}``; ``POST /predict`` with ``{tasks, project, label_config, params}``, answered with
``{results: [one prediction per task, in order], model_version}``; and ``POST /webhook`` with the project's
events (annotation created/updated, and ``START_TRAINING`` from the Train button), each carrying ``project``.
Label Studio adds fields between versions; every body is checked against the fields used here, and the rest is kept.

Whoever reaches the port is checked before any body is read: basic auth on every route when it is set, and on
/webhook the shared secret (``WEBHOOK_SECRET_HEADER``) that ``annotate backend connect`` puts on the project's
webhook. The Train button's ``START_TRAINING`` comes over the ML connection instead, with its basic auth but none of
the webhook's headers: without basic auth of its own, the backend takes the secret as that connection's basic auth
password (``backend connect`` sets it so), which /webhook accepts too.

The official ``label-studio-ml`` package pins Flask 1.1 and Werkzeug 2.0, so the API is served with FastAPI.
"""

from __future__ import annotations

import base64
import copy
import logging
import math
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import uvicorn
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .data import Document
from .errors import UserError, first_line
from .labelstudio import WEBHOOK_SECRET_HEADER, check_label_config, document_to_task

if TYPE_CHECKING:
    # Loaded when a backend is built, so that `annotate backend connect/status` start quickly.
    from .pipeline import Prelabeller
    from .stance import StanceModel, Target
    from .stance.learned import Encoder
    from .train import Settings

logger = logging.getLogger(__name__)

ANNOTATION_EVENTS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED")
TRAINING_REQUEST = "START_TRAINING"
WEBHOOK_SECRET_FILE = "webhook.secret"  # in the model folder, readable by its owner only

# What one request may ask for. A body is parsed whole (a JSON of tiny objects takes ~20 times its size in
# memory), so its size bounds the memory a request can take; Label Studio sends ~10-30 kB per task.
MAX_BODY_BYTES = 32 * 1024 * 1024
# "Retrieve predictions" sends every selected task in one request; more than this would not be done in the budget.
MAX_TASKS = 1000
# A long feature is ~50,000 characters; one text is pre-labelled whole, so its length bounds a request's time.
MAX_TEXT_CHARS = 100_000
# Below Label Studio's ML_TIMEOUT_PREDICT (100 s), so that the tasks done are answered before it gives up.
PREDICT_TIME_BUDGET_S = 60.0
# Held-out quotes a retrained model must be scored on before it may replace the served one.
MIN_HELD_OUT_QUOTES = 10


class Predictor:
    """Predictions from the current pre-labeller; a retrained stance model replaces the old one in one step."""

    def __init__(self, prelabeller: Prelabeller):
        self._prelabeller = prelabeller

    @property
    def model_version(self) -> str:
        return self._prelabeller.model_version

    def swap_stance_model(self, stance_model: StanceModel) -> None:
        updated = copy.copy(self._prelabeller)
        updated.stance_model = stance_model
        # A single assignment: a request in flight finishes with the pre-labeller it started with.
        self._prelabeller = updated

    def predict(self, texts: list[str | None], deadline: float = math.inf) -> PredictionBatch:
        """One prediction per text, in order, all stance calls batched; an empty text gets an empty prediction.

        The first text is always pre-labelled; after it, none is started once ``deadline`` (``time.monotonic()``)
        has passed. A text not started gets ``[]``: Label Studio stores no prediction for it, so the next
        "Retrieve predictions" asks for it again, and the work done so far is kept.
        """
        prelabeller = self._prelabeller
        started: list[int] = []

        def in_time() -> Iterator[Document]:
            for number, text in enumerate(texts):
                if text:
                    if started and time.monotonic() > deadline:
                        return
                    started.append(number)
                    yield Document(id=str(number), text=text)

        results: list[Any] = [
            [] if text else {"result": [], "score": 0.0, "model_version": prelabeller.model_version} for text in texts
        ]
        labelled = list(prelabeller.prelabel(in_time()))  # fills ``started`` as it reads the texts
        for number, document in zip(started, labelled, strict=True):
            results[number] = document_to_task(document)["predictions"][0]
        return PredictionBatch(results, prelabeller.model_version, sum(map(bool, texts)) - len(started))


class PredictionBatch(NamedTuple):
    results: list[Any]
    model_version: str
    skipped: int  # texts not pre-labelled because the time budget ran out


class Retrainer:
    """Counts annotation events per project; every ``every`` of them, retrains in a background thread.

    ``train(project_id)`` returns the new stance model (or raises); ``install(model)`` puts it in service.
    Requests arriving while a training runs are queued and trained afterwards, once per project.
    """

    def __init__(self, train: Callable[[int], StanceModel], install: Callable[[StanceModel], None], every: int):
        self._train, self._install, self.every = train, install, every
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._queued: list[int] = []
        self._worker: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def training(self) -> bool:
        return self._worker is not None

    def record(self, project_id: int, annotations: int = 1) -> None:
        if self.every <= 0:
            return
        with self._lock:
            self._counts[project_id] += annotations
            due = self._counts[project_id] >= self.every
            if due:
                self._counts[project_id] = 0
        if due:
            self.request(project_id)

    def request(self, project_id: int) -> None:
        with self._lock:
            if project_id not in self._queued:
                self._queued.append(project_id)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="stance-retraining", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queued:
                    self._worker = None
                    return
                project_id = self._queued.pop(0)
            started = time.monotonic()
            try:
                model = self._train(project_id)
            except Exception as exc:  # noqa: BLE001 - any failure keeps the old model; the reason goes to the log
                reason = first_line(exc)
                self.last_error = f"project {project_id}: {reason if isinstance(exc, UserError) else f'{exc.__class__.__name__}: {reason}'}"
                logger.error("retraining failed, keeping the current stance model: %s", self.last_error)
                continue
            self._install(model)
            self.last_error = None
            logger.info(
                "retrained on project %s in %.0f s: now serving stance model %s",
                project_id,
                time.monotonic() - started,
                model.version,
            )


@dataclass
class LabelStudioAccess:
    """Where the backend reads a project's annotations: ``url``/``api_key`` given at start, else what /setup sent."""

    url: str | None = None
    api_key: str | None = None

    def __post_init__(self) -> None:
        self._from_setup: dict[int, tuple[str, str]] = {}

    def remember_setup(self, project_id: int, hostname: str | None, access_token: str | None) -> None:
        if hostname and access_token:
            self._from_setup[project_id] = (hostname, access_token)

    def for_project(self, project_id: int) -> tuple[str, str]:
        if self.url and self.api_key:
            return self.url, self.api_key
        if project_id in self._from_setup:
            return self._from_setup[project_id]
        raise UserError(
            f"no Label Studio URL and API key to read project {project_id}'s annotations: pass --url and --api-key"
        )


def project_id_of(project: Any) -> int | None:
    """The project id in Label Studio's payloads: ``{"id": 3, ...}`` in webhooks, ``"3.1712345678"`` elsewhere."""
    if isinstance(project, dict):
        project = project.get("id")
    try:
        return int(str(project).split(".", 1)[0])
    except ValueError:
        return None


class _Payload(BaseModel):
    # Label Studio adds fields between versions; accept them rather than reject the request.
    model_config = ConfigDict(extra="allow")


class TaskData(_Payload):
    text: str | None = None

    @field_validator("text")
    @classmethod
    def encodable(cls, text: str | None) -> str | None:
        # JSON may carry lone surrogates ("\ud800"); neither the tokenizer nor the JSON answer can encode them.
        if text is not None:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("the text is not valid Unicode (it holds a lone surrogate)") from None
        return text


class Task(_Payload):
    id: int | str | None = None
    data: TaskData = Field(default_factory=TaskData)


class PredictRequest(_Payload):
    # Checked by length before any task is read, so a flood of tiny tasks costs nothing.
    tasks: list[Task] = Field(max_length=MAX_TASKS)


class SetupRequest(_Payload):
    project: str | int | None = None
    label_config: str | None = Field(None, alias="schema")
    hostname: str | None = None
    access_token: str | None = None


class WebhookEvent(_Payload):
    action: str
    project: dict[str, Any] | str | int | None = None
    annotation: dict[str, Any] | list[dict[str, Any]] | None = None


def _one_line(text: str, limit: int = 300) -> str:
    """``text`` as a short single line that JSON can carry, whatever a client sent into it."""
    line = next(iter(text.strip().splitlines()), "")
    line = line if len(line) <= limit else line[: limit - 1] + "…"
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def _validation_reason(exc: RequestValidationError) -> tuple[int, str]:
    """The status and one line for a body that does not fit its model (the default answer echoes the body)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"] if part != "body")
    if first["type"] == "json_invalid":
        return status.HTTP_400_BAD_REQUEST, f"the body is not valid JSON: {first.get('ctx', {}).get('error', '')}"
    if not where and first["type"] == "missing":
        return status.HTTP_400_BAD_REQUEST, "the body is empty; send a JSON object"
    if not where and isinstance(first.get("input"), bytes):  # FastAPI reads JSON only when the request says so
        return status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the body as JSON, with Content-Type: application/json"
    if first["type"] == "too_long" and where == "tasks":
        return status.HTTP_413_CONTENT_TOO_LARGE, f"more than {MAX_TASKS} tasks in one request; select fewer"
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return status.HTTP_422_UNPROCESSABLE_CONTENT, f"{where or 'the body'}: {message}{more}"


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:  # not base64, or not UTF-8
        return "", ""
    return user, password


def _same(given: str, expected: str) -> bool:
    # Constant-time, so that timing reveals nothing of the expected value.
    return secrets.compare_digest(given.encode(), expected.encode())


class Gate:
    """ASGI middleware that checks who calls and how much they send before any route reads the body: basic auth
    on every path (the API docs included) when it is set, the webhook secret on /webhook, and the body size, from
    Content-Length and again while reading, so that an oversized body is refused without being read whole."""

    def __init__(self, app: ASGIApp, basic_auth: tuple[str, str] | None, webhook_secret: str | None):
        self.app = app
        self.basic_auth = basic_auth
        self.webhook_secret = webhook_secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(Headers(scope=scope), scope["path"])
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                await self._too_large()(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    def _refusal(self, headers: Headers, path: str) -> JSONResponse | None:
        if self.basic_auth is not None:
            given = _basic_credentials(headers.get("authorization"))
            # Both parts compared, so that timing does not tell which one was wrong.
            if not all([_same(a, b) for a, b in zip(given, self.basic_auth)]):
                return JSONResponse(
                    {"detail": "wrong or missing basic auth"},
                    status.HTTP_401_UNAUTHORIZED,
                    headers={"WWW-Authenticate": "Basic"},
                )
        # With basic auth, Label Studio has already proved itself; its Train button sends no webhook headers,
        # but the connection's basic auth, whose password is then the secret.
        if path.rstrip("/") == "/webhook" and self.webhook_secret is not None and self.basic_auth is None:
            given = headers.get(WEBHOOK_SECRET_HEADER) or _basic_credentials(headers.get("authorization"))[1]
            if not _same(given, self.webhook_secret):
                return JSONResponse(
                    {
                        "detail": f"wrong or missing {WEBHOOK_SECRET_HEADER} header; connect the backend with "
                        "annotate backend connect --webhook-secret-file MODEL_DIR/webhook.secret"
                    },
                    status.HTTP_403_FORBIDDEN,
                )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return self._too_large()
        return None

    def _too_large(self) -> JSONResponse:
        return JSONResponse(
            {"detail": f"the request body is over {MAX_BODY_BYTES:,} bytes; send fewer tasks at a time"},
            status.HTTP_413_CONTENT_TOO_LARGE,
        )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body already read, then whatever comes next (a disconnect)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def create_app(
    predictor: Predictor,
    retrainer: Retrainer,
    access: LabelStudioAccess,
    basic_auth: tuple[str, str] | None = None,
    webhook_secret: str | None = None,
    predict_budget_s: float = PREDICT_TIME_BUDGET_S,
) -> FastAPI:
    """The HTTP API Label Studio calls: every route asks for ``basic_auth`` when it is set, /webhook for
    ``webhook_secret`` (when set, and there is no basic auth); /predict stops starting tasks after
    ``predict_budget_s``."""
    app = FastAPI(title="annotate ML backend")
    app.add_middleware(Gate, basic_auth=basic_auth, webhook_secret=webhook_secret)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, reason = _validation_reason(exc)
        return JSONResponse({"detail": _one_line(reason)}, code)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "UP",
            "model_version": predictor.model_version,
            "training": retrainer.training,
            "last_training_error": retrainer.last_error,
        }

    @app.post("/setup")
    def setup(request: SetupRequest) -> dict[str, Any]:
        if request.label_config:
            try:
                check_label_config(request.label_config)
            except ValueError as exc:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, _one_line(str(exc))) from None
        project_id = project_id_of(request.project)
        if project_id is not None:
            access.remember_setup(project_id, request.hostname, request.access_token)
        return {"model_version": predictor.model_version}

    @app.post("/predict")
    def predict(request: PredictRequest) -> dict[str, Any]:
        texts = [task.data.text for task in request.tasks]
        for number, task in enumerate(request.tasks, start=1):
            if task.data.text and len(task.data.text) > MAX_TEXT_CHARS:
                which = f"id {task.id}" if task.id is not None else f"number {number}"
                length = len(task.data.text)
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE,
                    _one_line(f"task {which}: its text has {length:,} characters; the limit is {MAX_TEXT_CHARS:,}"),
                )
        batch = predictor.predict(texts, deadline=time.monotonic() + predict_budget_s)
        if batch.skipped:
            logger.warning(
                "predict: the %.0f s budget ran out with %d of %d tasks with text not pre-labelled; "
                "Retrieve predictions again for them",
                predict_budget_s,
                batch.skipped,
                sum(map(bool, texts)),
            )
        return {"results": batch.results, "model_version": batch.model_version}

    @app.post("/webhook")
    def webhook(event: WebhookEvent) -> dict[str, str]:
        project_id = project_id_of(event.project)
        if project_id is None:
            return {"status": "ignored"}
        if event.action == TRAINING_REQUEST:
            retrainer.request(project_id)
        elif event.action in ANNOTATION_EVENTS:
            annotations = event.annotation if isinstance(event.annotation, list) else [event.annotation or {}]
            # A skipped task arrives as a cancelled annotation: it labels nothing.
            submitted = sum(1 for annotation in annotations if not annotation.get("was_cancelled"))
            if submitted:
                retrainer.record(project_id, submitted)
        return {"status": "ok"}

    return app


@dataclass
class ProjectTrainer:
    """Retrains the stance classifier on one project's annotations, read from Label Studio, and loads it.

    The annotations go through the same export and training as ``annotate export`` and ``annotate train``;
    each model is written to its own folder under ``model_dir``; its version is the folder's name and a hash of its
    weights. When ``settings`` hold quotes out, a model is served only if it was scored on at least
    ``MIN_HELD_OUT_QUOTES`` of them and its macro-F1 there is no lower than ``reference_model``'s on the same quotes.
    """

    access: LabelStudioAccess
    target: Target
    model_dir: Path
    settings: Settings
    encoder: Encoder | None = None  # the served model's encoder, learned on again rather than loaded anew
    # The model the backend started with: it learned nothing from the project's quotes, so any held-out split is
    # unseen by it. A model retrained earlier has learned from some of them, which would favour it unfairly.
    reference_model: StanceModel | None = None

    def __post_init__(self) -> None:
        # The model folders this backend wrote, oldest first; only these are ever deleted.
        self._written: list[Path] = []

    def __call__(self, project_id: int) -> StanceModel:
        from .dataset import write_dataset
        from .labelstudio import connect, export_tasks
        from .stance.learned import load_head
        from .train import train

        client = connect(*self.access.for_project(project_id))
        tasks = export_tasks(client, project_id)
        output = self.model_dir / f"stance-project{project_id}-{datetime.now():%Y%m%d-%H%M%S}"
        with tempfile.TemporaryDirectory(prefix="annotate-retrain-") as scratch:
            dataset = Path(scratch) / f"project-{project_id}"
            # write_dataset and train refuse a project without annotations or quotes, each in one line.
            write_dataset(tasks, dataset, name=dataset.name, target=self.target)
            info = train(
                dataset,
                output,
                self.target,
                settings=self.settings,
                encoder=self.encoder,
                reference=self.reference_model,
            )
            if info["metrics"]:
                logger.info(
                    "%s: macro-F1 %.3f on %d held-out quotes",
                    output.name,
                    info["metrics"]["macro_f1"],
                    info["metrics"]["n"],
                )
            try:
                self._check_held_out(info["metrics"], info["reference_metrics"])
                model = load_head(output, None, self.target, self.encoder)
            except BaseException:
                shutil.rmtree(output, ignore_errors=True)  # a model that is not served is not kept
                raise
        if output in self._written:  # a second training in the same second replaced the folder
            self._written.remove(output)
        self._written.append(output)
        return model

    def _check_held_out(self, metrics: dict[str, Any] | None, reference_metrics: dict[str, Any] | None) -> None:
        """Raise a UserError saying why, when the held-out quotes do not show the new model to be as good as the
        reference (scored by ``train`` on the same quotes)."""
        if not self.settings.test_size:
            return  # nothing is held out: whoever set it chose to serve every training unchecked
        if metrics["n"] < MIN_HELD_OUT_QUOTES:
            raise UserError(
                f"{metrics['n']} held-out quotes are too few to trust the retrained model (it needs "
                f"{MIN_HELD_OUT_QUOTES}); the served model stays until more quotes are labelled"
            )
        if reference_metrics is None:
            return
        reference = reference_metrics["macro_f1"]
        if metrics["macro_f1"] < reference:
            raise UserError(
                f"the retrained model's macro-F1 {metrics['macro_f1']:.3f} on {metrics['n']} held-out quotes is below "
                f"{reference:.3f} for {self.reference_model.version}; the served model stays"
            )

    def remove_superseded(self) -> None:
        """As the newest model is about to serve, delete the folders this backend wrote before it, all but the one
        serving now."""
        superseded, self._written = self._written[:-2], self._written[-2:]
        for folder in superseded:
            shutil.rmtree(folder, ignore_errors=True)


def build_app(
    prelabeller: Prelabeller,
    model_dir: Path,
    retrain_every: int,
    access: LabelStudioAccess,
    settings: Settings | None = None,
    basic_auth: tuple[str, str] | None = None,
    webhook_secret: str | None = None,
) -> FastAPI:
    """The backend with retraining wired in: every ``retrain_every`` annotations of a project, a new model."""
    from .train import Settings

    predictor = Predictor(prelabeller)
    # A served head's encoder is learned on again; another kind of model retrains on the packaged encoder.
    encoder = getattr(prelabeller.stance_model, "encoder", None)
    trainer = ProjectTrainer(
        access, prelabeller.target, model_dir, settings or Settings(), encoder, reference_model=prelabeller.stance_model
    )

    def install(model: StanceModel) -> None:
        # Pruned first, so that once the new version is served the folder set is already the final one.
        trainer.remove_superseded()
        predictor.swap_stance_model(model)

    retrainer = Retrainer(trainer, install, retrain_every)
    return create_app(predictor, retrainer, access, basic_auth, webhook_secret)


def stored_webhook_secret(model_dir: Path) -> Path:
    """The file holding the backend's webhook secret in ``model_dir``: made, readable by its owner only, on the
    first start, and kept for the next ones, so that the webhook Label Studio holds goes on working."""
    path = model_dir / WEBHOOK_SECRET_FILE
    model_dir.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
    return path


def read_webhook_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the webhook secret in {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not secret:
        raise UserError(f"{path} holds no webhook secret; delete it and `annotate backend serve` makes a new one")
    return secret


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the model loads so a busy port fails at once (port 0: any free one)."""
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {os.strerror(exc.errno) if exc.errno else exc}") from None
    # Accepted connections inherit it: without it, Nagle's algorithm and delayed ACKs hold each
    # response back ~40 ms, as uvicorn writes its headers and body separately.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve(app: FastAPI, sock: socket.socket) -> None:
    """Serve on ``sock`` until interrupted."""
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


@contextmanager
def serving(app: FastAPI, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 30) -> Iterator[str]:
    """Serve in a background thread (port 0: any free port) and yield the base URL; stop on exit."""
    sock = listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="ml-backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the ML backend server did not start within {start_timeout:.0f} s")
            time.sleep(0.05)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=start_timeout)  # a server stuck starting up may never see should_exit
        sock.close()
