"""Label Studio ML backend: live pre-annotation, and retraining of the stance model from the annotations.

Label Studio 1.23 (``label_studio/ml/api_connector.py``) calls, with basic auth when the connection has it:
``GET /health``; ``POST /setup`` with ``{project: "<id>.<created>", schema, hostname, access_token}``, answered
with ``{model_version}``; ``POST /predict`` with ``{tasks, project, label_config, params}``, answered with
``{results: [one prediction per task, in order], model_version}``; and ``POST /webhook`` with the project's
events (annotation created/updated, and ``START_TRAINING`` from the Train button), each carrying ``project``.

The official ``label-studio-ml`` package pins Flask 1.1 and Werkzeug 2.0, so the API is served with FastAPI.
"""

from __future__ import annotations

import base64
import copy
import logging
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
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict

from .data import STANCE_LABELS, Document
from .errors import UserError, first_line
from .labelstudio import (
    NAME_TAG,
    QUOTE_LABEL,
    SPAN_TAG,
    SPEAKER_LABEL,
    STANCE_TAG,
    TEXT_TAG,
    TYPE_TAG,
    document_to_task,
)

if TYPE_CHECKING:
    # Loaded when a backend is built, so that `annotate backend connect/status` start quickly.
    from .pipeline import Prelabeller
    from .stance import StanceModel, Target
    from .stance.learned import Encoder
    from .train import Settings

logger = logging.getLogger(__name__)

ANNOTATION_EVENTS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED")
TRAINING_REQUEST = "START_TRAINING"


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

    def predict(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One prediction per task, in order, all stance calls batched; a task without text gets none."""
        prelabeller = self._prelabeller
        documents = [
            Document(id=str(task.get("id", "")), text=(task.get("data") or {}).get(TEXT_TAG) or "") for task in tasks
        ]
        # prelabel yields the documents with text in order, a batch at a time.
        labelled = prelabeller.prelabel(document for document in documents if document.text)
        return [
            document_to_task(next(labelled))["predictions"][0]
            if document.text
            else {"result": [], "score": 0.0, "model_version": prelabeller.model_version}
            for document in documents
        ]


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


def check_label_config(schema: str) -> None:
    """Raise ValueError naming what is missing when a project's labelling config cannot show our predictions."""
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(schema)
    controls = {control.name: control for control in interface.controls}
    wanted = {
        SPAN_TAG: ("Labels", {QUOTE_LABEL, SPEAKER_LABEL}),
        STANCE_TAG: ("Choices", set(STANCE_LABELS)),
        TYPE_TAG: ("Choices", set()),
        NAME_TAG: ("TextArea", set()),
    }
    for name, (tag, values) in wanted.items():
        control = controls.get(name)
        if (
            control is None
            or control.tag != tag
            or TEXT_TAG not in control.to_name
            or not values <= set(control.labels or ())
        ):
            raise ValueError(
                f"the labelling config needs a {tag} named '{name}' on Text '{TEXT_TAG}' with {sorted(values) or 'its values'}; use label_config/quotes.xml"
            )


class _Payload(BaseModel):
    # Label Studio adds fields between versions; accept them rather than reject the request.
    model_config = ConfigDict(extra="allow")


class PredictRequest(_Payload):
    tasks: list[dict[str, Any]]


class WebhookEvent(_Payload):
    action: str
    project: dict[str, Any] | None = None
    annotation: dict[str, Any] | list[dict[str, Any]] | None = None


def create_app(
    predictor: Predictor, retrainer: Retrainer, access: LabelStudioAccess, basic_auth: tuple[str, str] | None = None
) -> FastAPI:
    """The HTTP API Label Studio calls; every route asks for ``basic_auth`` when it is set."""
    security = HTTPBasic(auto_error=False)

    def authorise(credentials: HTTPBasicCredentials | None = Depends(security)) -> None:
        if basic_auth is None:
            return
        given = (credentials.username, credentials.password) if credentials else ("", "")
        # Constant-time comparison of both parts, so timing reveals neither.
        if not all([secrets.compare_digest(a.encode(), b.encode()) for a, b in zip(given, basic_auth)]):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "wrong or missing basic auth", headers={"WWW-Authenticate": "Basic"}
            )

    app = FastAPI(title="annotate ML backend", dependencies=[Depends(authorise)])

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "UP",
            "model_version": predictor.model_version,
            "training": retrainer.training,
            "last_training_error": retrainer.last_error,
        }

    @app.post("/setup")
    def setup(request: dict[str, Any]) -> dict[str, Any]:
        schema = request.get("schema")
        if schema:
            try:
                check_label_config(schema)
            except ValueError as exc:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        project_id = project_id_of(request.get("project"))
        if project_id is not None:
            access.remember_setup(project_id, request.get("hostname"), request.get("access_token"))
        return {"model_version": predictor.model_version}

    @app.post("/predict")
    def predict(request: PredictRequest) -> dict[str, Any]:
        results = predictor.predict(request.tasks)
        version = results[0]["model_version"] if results else predictor.model_version
        return {"results": results, "model_version": version}

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
    weights.
    """

    access: LabelStudioAccess
    target: Target
    model_dir: Path
    settings: Settings
    encoder: Encoder | None = None  # the served model's encoder, learned on again rather than loaded anew

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
            info = train(dataset, output, self.target, settings=self.settings, encoder=self.encoder)
        if info["metrics"]:
            logger.info(
                "%s: macro-F1 %.3f on %d held-out quotes",
                output.name,
                info["metrics"]["macro_f1"],
                info["metrics"]["n"],
            )
        try:
            model = load_head(output, None, self.target, self.encoder)
        except BaseException:
            shutil.rmtree(output, ignore_errors=True)  # a model that cannot be served is not kept
            raise
        if output in self._written:  # a second training in the same second replaced the folder
            self._written.remove(output)
        self._written.append(output)
        return model

    def remove_superseded(self) -> None:
        """Once the newest model serves, delete the folders this backend wrote before it, all but the previous one."""
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
) -> FastAPI:
    """The backend with retraining wired in: every ``retrain_every`` annotations of a project, a new model."""
    from .train import Settings

    predictor = Predictor(prelabeller)
    # A served head's encoder is learned on again; another kind of model retrains on the packaged encoder.
    encoder = getattr(prelabeller.stance_model, "encoder", None)
    trainer = ProjectTrainer(access, prelabeller.target, model_dir, settings or Settings(), encoder)

    def install(model: StanceModel) -> None:
        predictor.swap_stance_model(model)
        trainer.remove_superseded()

    retrainer = Retrainer(trainer, install, retrain_every)
    return create_app(predictor, retrainer, access, basic_auth)


# --- Connecting a backend to a project through Label Studio's API ------------------------------------


def _api_messages(body: Any) -> list[str]:
    """The human-readable messages in a Label Studio error body, however nested."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        nested = body.get("validation_errors") or body.get("detail") or list(body.values())
        return _api_messages(nested)
    if isinstance(body, list):
        return [message for item in body for message in _api_messages(item)]
    return []


def _refusal(backend_url: str, exc: Exception) -> UserError:
    """One line saying why Label Studio would not connect the backend."""
    text = " ".join(_api_messages(getattr(exc, "body", None)))
    if "reserved network address" in text:
        return UserError(
            f"Label Studio refuses ML backends on local addresses such as {backend_url}: "
            "start it with ML_BLOCK_LOCAL_IP=false and SSRF_PROTECTION_ENABLED=false"
        )
    if "health check failed" in text:
        return UserError(
            f"Label Studio cannot reach the ML backend at {backend_url}; is `annotate backend serve` running there?"
        )
    if "authentication" in text:
        return UserError(
            f"the ML backend at {backend_url} refused Label Studio's basic auth; check --basic-auth-user/--basic-auth-pass"
        )
    if "valid ML backend" in text:
        return UserError(
            f"the ML backend at {backend_url} rejected the project's setup; is its labelling config label_config/quotes.xml?"
        )
    return UserError(f"Label Studio refused the ML backend at {backend_url} (HTTP {getattr(exc, 'status_code', '?')})")


def connect_backend(client, project, backend_url: str, title: str, basic_auth: tuple[str, str] | None = None):
    """Connect (or reconnect) the backend at ``backend_url`` to ``project`` with interactive pre-annotation on.

    Label Studio checks /health and /setup before it saves the connection, and adds the /webhook itself, but
    sends that webhook without the connection's basic auth: its headers get the credentials here.
    """
    from label_studio_sdk.core.api_error import ApiError

    from .labelstudio import api_errors, base_url

    backend_url = backend_url.rstrip("/")
    auth = (
        {"auth_method": "BASIC_AUTH", "basic_auth_user": basic_auth[0], "basic_auth_pass": basic_auth[1]}
        if basic_auth
        else {"auth_method": "NONE"}
    )
    webhook_headers = (
        {"Authorization": "Basic " + base64.b64encode(":".join(basic_auth).encode()).decode()} if basic_auth else {}
    )
    with api_errors(base_url(client), "connecting the ML backend"):
        existing = next(
            (b for b in client.ml.list(project=project.id) if (b.url or "").rstrip("/") == backend_url), None
        )
        try:
            if existing is not None:
                connection = client.ml.update(existing.id, url=backend_url, is_interactive=True, title=title, **auth)
            else:
                connection = client.ml.create(
                    project=project.id, url=backend_url, is_interactive=True, title=title, **auth
                )
        except ApiError as exc:
            if exc.status_code in (400, 403):
                raise _refusal(backend_url, exc) from None
            raise
        for webhook in client.webhooks.list(project=project.id):
            if webhook.url.rstrip("/") == f"{backend_url}/webhook" and (webhook.headers or {}) != webhook_headers:
                client.webhooks.update(webhook.id, headers=webhook_headers)
    return connection


def project_backends(client, project) -> list:
    """The project's ML backends, each with the state Label Studio has just checked (Connected, Disconnected...)."""
    from .labelstudio import api_errors, base_url

    with api_errors(base_url(client), "listing ML backends"):
        return list(client.ml.list(project=project.id))


# Label Studio's backend states; it checks /health (and /setup) each time it lists them.
UNREACHABLE, FAILING = "DI", "ER"


def backend_problem(backend) -> str | None:
    """Why Label Studio cannot use this ML backend now, in a few words; None when it can."""
    if backend.state == UNREACHABLE:
        return f"ML backend {backend.url} does not answer Label Studio; is `annotate backend serve` running there?"
    if backend.state == FAILING:
        reason = (backend.error_message or "no reason given").splitlines()[0]
        return f"ML backend {backend.url} answers with an error: {reason}"
    return None


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
