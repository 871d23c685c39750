"""The ML backend's boundary, without Label Studio: malformed bodies get one line and a 4xx while the server keeps
serving, limits on size, tasks, text and time, basic auth on every route, the webhook secret, and retrainings
that fail or do not prove better keep the served model."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import stat
import time
from itertools import cycle
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from annotate import backend as backend_module
from annotate import cli, labelstudio
from annotate.backend import (
    MAX_BODY_BYTES,
    MAX_TASKS,
    MAX_TEXT_CHARS,
    MIN_HELD_OUT_QUOTES,
    WEBHOOK_SECRET_FILE,
    LabelStudioAccess,
    Predictor,
    ProjectTrainer,
    Retrainer,
    build_app,
    create_app,
    read_webhook_secret,
    serving,
    stored_webhook_secret,
)
from annotate.data import STANCE_LABELS, Stance
from annotate.dataset import write_dataset
from annotate.errors import UserError
from annotate.labelstudio import WEBHOOK_SECRET_HEADER, WEBHOOK_SECRET_USER, connect_backend
from annotate.stance import StanceModel
from annotate.train import Settings, load_labelled_quotes

CREDENTIALS = ("labelstudio", "s3cret-pass")
SECRET = "webhook-secret-for-tests"
LABEL_CONFIG = labelstudio.label_config()


def no_training(project_id: int):
    raise UserError("no training in this test")


def make_app(prelabeller, **options):
    return create_app(
        Predictor(prelabeller), Retrainer(no_training, lambda model: None, 0), LabelStudioAccess(), **options
    )


@pytest.fixture(scope="module")
def client(prelabeller):
    with TestClient(make_app(prelabeller)) as http:
        yield http


def assert_one_line_refusal(response, status: int, phrase: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail and len(detail) < 400, detail
    assert phrase in detail, detail


def assert_quiet(caplog) -> None:
    """Nothing logged at ERROR, and no traceback anywhere in the log."""
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]
    assert "Traceback" not in caplog.text


def ls_task(task_id: int, text, **data) -> dict:
    """A task as Label Studio 1.23 sends it to /predict (TaskSimpleSerializer), with the fields it adds."""
    return {
        "id": task_id,
        "data": {"text": text, **data},
        "meta": {},
        "created_at": "2025-01-01T10:00:00.000000Z",
        "updated_at": "2025-01-01T10:00:00.000000Z",
        "is_labeled": False,
        "overlap": 1,
        "inner_id": task_id,
        "total_annotations": 0,
        "cancelled_annotations": 0,
        "total_predictions": 0,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 1,
        "updated_by": None,
        "file_upload": None,
        "comment_authors": [],
        "annotations": [],
        "predictions": [],
    }


def predict_body(tasks: list[dict]) -> dict:
    return {
        "tasks": tasks,
        "project": "1.1735725600",
        "label_config": LABEL_CONFIG,
        "params": {"login": None, "password": None, "context": None},
    }


MALFORMED = [
    ("/predict", b"this is not JSON", 400, "not valid JSON"),
    ("/predict", b'{"tasks": [', 400, "not valid JSON"),
    ("/predict", b"[]", 422, "the body: Input should be a valid dictionary"),
    ("/predict", b"{}", 422, "tasks: Field required"),
    ("/predict", b'{"tasks": "all"}', 422, "tasks: Input should be a valid list"),
    ("/predict", b'{"tasks": ["one", "two"]}', 422, "tasks.0: Input should be a valid dictionary"),
    ("/predict", b'{"tasks": [[1, 2]]}', 422, "tasks.0: Input should be a valid dictionary"),
    ("/predict", b'{"tasks": [{"data": "text"}]}', 422, "tasks.0.data: Input should be a valid dictionary"),
    ("/predict", b'{"tasks": [{"data": {"text": 5}}]}', 422, "tasks.0.data.text: Input should be a valid string"),
    ("/predict", b'{"tasks": [{"data": {"text": ["a"]}}]}', 422, "tasks.0.data.text: Input should be a valid string"),
    ("/predict", b'{"tasks": [{"data": {"text": {"a": 1}}}]}', 422, "tasks.0.data.text"),
    ("/predict", b'{"tasks": [{"data": {"text": "\\ud800 said"}}]}', 422, "not valid Unicode"),
    ("/predict", b'{"tasks": [{}, {"data": {"text": 1}}, {"data": 2}]}', 422, "(and 1 more)"),
    ("/predict", b"[" * 200_000, 400, "error parsing the body"),
    ("/predict", b'{"tasks": [], "n": 1' + b"0" * 5000 + b"}", 400, "error parsing the body"),
    ("/setup", b"<View/>", 400, "not valid JSON"),
    ("/setup", b"[1]", 422, "the body: Input should be a valid dictionary"),
    ("/setup", b'{"schema": 5}', 422, "schema: Input should be a valid string"),
    ("/setup", b'{"schema": "<View><Text name=\\"text\\""}', 400, "the labelling config cannot be read"),
    ("/setup", b'{"schema": "not XML at all"}', 400, "the labelling config cannot be read"),
    ("/setup", b'{"schema": "<View><Labels name=\\"span\\"/></View>"}', 400, "needs a Labels named"),
    ("/webhook", b"", 400, "the body is empty"),
    ("/webhook", b"[]", 422, "Input should be a valid dictionary"),
    ("/webhook", b'{"project": {"id": 1}}', 422, "action: Field required"),
    ("/webhook", b'{"action": "ANNOTATION_CREATED", "annotation": "yes"}', 422, "annotation"),
]


def test_a_body_not_declared_as_json_is_refused_in_one_line(client):
    response = client.post("/predict", content=b'{"tasks": []}', headers={"Content-Type": "text/plain"})
    assert_one_line_refusal(response, 415, "Content-Type: application/json")


@pytest.mark.parametrize(("path", "body", "status", "phrase"), MALFORMED)
def test_a_malformed_body_gets_one_line_and_a_4xx_and_the_server_keeps_serving(
    client, caplog, path, body, status, phrase
):
    caplog.set_level(logging.DEBUG)
    # The test client raises whatever the app does not handle: a 500 fails here with its traceback.
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert_one_line_refusal(response, status, phrase)
    assert "input" not in response.text  # the default answer echoes the body back; this one does not
    assert client.get("/health").json()["status"] == "UP"
    assert_quiet(caplog)


def test_label_studio_payloads_with_their_extra_fields_are_answered(client, prelabeller, prelabelled_seeds, caplog):
    setup = {
        "project": "1.1735725600",
        "schema": LABEL_CONFIG,
        "hostname": "http://localhost:8080",
        "access_token": "token",
        "extra_params": None,
    }
    assert client.post("/setup", json=setup).json() == {"model_version": prelabeller.model_version}

    text = prelabelled_seeds[0].text
    tasks = [ls_task(1, text, doc_id="seed-0"), ls_task(2, None), ls_task(3, ""), {"id": 4, "data": {"other": 1}}]
    answer = client.post("/predict", json=predict_body(tasks)).json()
    assert answer["model_version"] == prelabeller.model_version
    first, *without_text = answer["results"]
    assert first["model_version"] == prelabeller.model_version and first["result"]
    assert without_text == [{"result": [], "score": 0.0, "model_version": prelabeller.model_version}] * 3

    event = {
        "action": "ANNOTATION_CREATED",
        "project": {"id": 1, "title": "news", "label_config": LABEL_CONFIG, "created_at": "2025-01-01T10:00:00Z"},
        "annotation": {"id": 9, "result": [], "was_cancelled": False, "task": 1, "completed_by": 1, "lead_time": 4.2},
        "task": {"id": 1, "data": {"text": text}},
    }
    assert client.post("/webhook", json=event).json() == {"status": "ok"}
    assert_quiet(caplog)


def test_too_many_tasks_or_too_long_a_text_is_refused_before_any_work(client):
    many = client.post("/predict", json={"tasks": [{}] * (MAX_TASKS + 1)})
    assert_one_line_refusal(many, 413, f"more than {MAX_TASKS} tasks")
    # A flood of tiny tasks is refused by its length, without a model for each.
    started = time.monotonic()
    flood = client.post(
        "/predict", content=b'{"tasks": [' + b"{}," * 2_000_000 + b"{}]}", headers={"Content-Type": "application/json"}
    )
    assert flood.status_code == 413 and time.monotonic() - started < 10

    long_text = "word " * (MAX_TEXT_CHARS // 5) + "!"
    too_long = client.post("/predict", json={"tasks": [ls_task(1, "fine"), ls_task(17, long_text)]})
    assert_one_line_refusal(too_long, 413, f"task id 17: its text has {len(long_text):,} characters; the limit is")
    assert client.post("/predict", json={"tasks": [ls_task(1, long_text[:MAX_TEXT_CHARS])]}).status_code == 200


def asgi_post(app, headers: dict[str, str], chunks) -> tuple[int, dict, int]:
    """POST /predict straight to the ASGI app, the body pulled a chunk at a time from ``chunks`` (endless or not);
    the status, the JSON answer, and how many chunks the app pulled."""
    pulled = 0
    messages = []

    async def receive():
        nonlocal pulled
        chunk = next(chunks)
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/predict",
        "raw_path": b"/predict",
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 9090),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, json.loads(body), pulled


def test_an_oversized_body_is_refused_without_being_read_whole(prelabeller):
    app = make_app(prelabeller)
    # Declared too large: refused on the header alone, nothing read.
    status, answer, pulled = asgi_post(app, {"content-length": str(MAX_BODY_BYTES + 1)}, iter(()))
    assert (status, pulled) == (413, 0) and "over" in answer["detail"]

    # Sent without a length (chunked), endlessly: reading stops just past the limit.
    chunk = b" " * (1024 * 1024)
    status, answer, pulled = asgi_post(app, {"transfer-encoding": "chunked"}, cycle([chunk]))
    assert status == 413 and pulled == MAX_BODY_BYTES // len(chunk) + 1
    assert answer["detail"] == f"the request body is over {MAX_BODY_BYTES:,} bytes; send fewer tasks at a time"


def raw_request(url: str, head: str, body_chunks=()) -> bytes:
    """Send a raw HTTP/1.1 request over a socket (the server may stop reading and answer early); the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except OSError:  # the server answered and closed while the body was still coming
            pass
        answer = b""
        while data := sock.recv(65536):
            answer += data
            if b"\r\n\r\n" in answer and b'"}' in answer:
                break
        return answer


def test_the_served_backend_refuses_oversized_bodies_and_goes_on(prelabeller, caplog):
    caplog.set_level(logging.DEBUG)
    with serving(make_app(prelabeller)) as url:
        # uvicorn's own loggers do not propagate: listen to them directly.
        uvicorn_logger = logging.getLogger("uvicorn")
        uvicorn_logger.addHandler(caplog.handler)
        try:
            declared = raw_request(
                url,
                f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {MAX_BODY_BYTES * 4}\r\n\r\n",
            )
            assert declared.startswith(b"HTTP/1.1 413") and b"the request body is over" in declared

            chunk = b" " * (1024 * 1024)
            chunked = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 8))
            streamed = raw_request(
                url, "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunked
            )
            assert streamed.startswith(b"HTTP/1.1 413")

            assert httpx.get(f"{url}/health", timeout=10).json()["status"] == "UP"
            assert httpx.post(f"{url}/predict", json={"tasks": [ls_task(1, "Hi.")]}, timeout=60).status_code == 200
        finally:
            uvicorn_logger.removeHandler(caplog.handler)
    assert_quiet(caplog)


def test_a_spent_time_budget_stops_starting_tasks_and_keeps_what_was_done(prelabeller, prelabelled_seeds, caplog):
    texts = [document.text for document in prelabelled_seeds[:3]]
    with TestClient(make_app(prelabeller, predict_budget_s=0)) as http:
        tasks = [ls_task(1, texts[0]), ls_task(2, ""), ls_task(3, texts[1]), ls_task(4, texts[2])]
        answer = http.post("/predict", json=predict_body(tasks))
        assert answer.status_code == 200
        done, empty, *skipped = answer.json()["results"]
        assert done["result"] and done["model_version"] == prelabeller.model_version
        assert empty == {"result": [], "score": 0.0, "model_version": prelabeller.model_version}
        # Label Studio stores no prediction for [] and asks for those tasks again at the next "Retrieve predictions".
        assert skipped == [[], []]
        assert "budget ran out with 2 of 3 tasks with text not pre-labelled" in caplog.text

        again = http.post("/predict", json=predict_body([ls_task(3, texts[1])])).json()["results"]
        assert again[0]["result"]
    assert_quiet(caplog)


ROUTES = [
    ("GET", "/health"),
    ("POST", "/setup"),
    ("POST", "/predict"),
    ("POST", "/webhook"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/no-such-route"),
]


def test_with_basic_auth_every_route_refuses_missing_or_wrong_credentials(prelabeller):
    app = make_app(prelabeller, basic_auth=CREDENTIALS, webhook_secret=SECRET)
    refused = [
        {},
        {"Authorization": "Basic !!not-base64!!"},
        {"Authorization": "Bearer " + CREDENTIALS[1]},
    ]
    with TestClient(app) as http:
        for method, path in ROUTES:
            for headers in refused:
                # A body that would not validate: the credentials are checked before it is read.
                response = http.request(method, path, headers=headers, content=b"not JSON")
                assert_one_line_refusal(response, 401, "wrong or missing basic auth")
                assert response.headers["WWW-Authenticate"] == "Basic"
            for wrong in [(CREDENTIALS[0], "wrong"), ("someone", CREDENTIALS[1]), (CREDENTIALS[0], "")]:
                assert http.request(method, path, auth=wrong).status_code == 401, (path, wrong)

        for path in ("/health", "/docs", "/redoc", "/openapi.json"):
            assert http.get(path, auth=CREDENTIALS).status_code == 200, path
        # The Train button's START_TRAINING comes with the connection's basic auth and no webhook headers.
        train = {"action": "START_TRAINING", "project": {"id": 1}}
        assert http.post("/webhook", json=train, auth=CREDENTIALS).json() == {"status": "ok"}


def test_the_webhook_needs_the_shared_secret(prelabeller):
    requested = []

    def train(project_id: int):
        requested.append(project_id)
        raise UserError("nothing to learn in this test")

    retrainer = Retrainer(train, lambda model: None, every=1)
    app = create_app(Predictor(prelabeller), retrainer, LabelStudioAccess(), webhook_secret=SECRET)
    start = {"action": "START_TRAINING", "project": {"id": 5}}
    with TestClient(app) as http:
        for headers in [{}, {WEBHOOK_SECRET_HEADER: "guess"}, {WEBHOOK_SECRET_HEADER: SECRET + "x"}]:
            response = http.post("/webhook", json=start, headers=headers)
            assert_one_line_refusal(response, 403, f"wrong or missing {WEBHOOK_SECRET_HEADER} header")
        assert requested == [] and not retrainer.training

        # Nor does the secret as a basic auth password (what the Train button sends) with any other one.
        assert http.post("/webhook", json=start, auth=(WEBHOOK_SECRET_USER, "guess")).status_code == 403
        assert http.post("/webhook", json=start, headers={WEBHOOK_SECRET_HEADER: SECRET}).json() == {"status": "ok"}
        deadline = time.monotonic() + 30
        while retrainer.training or retrainer.last_error is None:
            assert time.monotonic() < deadline, "the requested training did not run"
            time.sleep(0.05)
        assert requested == [5]
        assert retrainer.last_error == "project 5: nothing to learn in this test"
        # Only the webhook asks for the secret.
        assert http.get("/health").status_code == 200
        assert http.post("/predict", json={"tasks": []}).status_code == 200


def test_the_webhook_secret_is_made_private_once_and_kept(tmp_path):
    model_dir = tmp_path / "models"
    path = stored_webhook_secret(model_dir)
    assert path == model_dir / WEBHOOK_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = read_webhook_secret(path)
    assert len(secret) >= 40
    assert stored_webhook_secret(model_dir) == path and read_webhook_secret(path) == secret

    path.write_text("\n")
    with pytest.raises(UserError, match="holds no webhook secret"):
        read_webhook_secret(path)
    with pytest.raises(UserError, match="cannot read the webhook secret"):
        read_webhook_secret(tmp_path / "missing")


def test_serve_prints_where_the_secret_is_never_the_secret(prelabeller, tmp_path, monkeypatch):
    served = []

    def fake_serve(app, sock):
        sock.close()
        served.append(app)

    monkeypatch.setattr(cli, "build_prelabeller", lambda *args: prelabeller)
    monkeypatch.setattr(backend_module, "serve", fake_serve)
    monkeypatch.delenv("ANNOTATE_WEBHOOK_SECRET", raising=False)
    model_dir = tmp_path / "models"
    runner = CliRunner()

    def serve() -> str:
        command = ["backend", "serve", "--port", str(free_port()), "--model-dir", str(model_dir)]
        done = runner.invoke(cli.app, [*command, "--url", "http://label-studio.invalid", "--api-key", "unused"])
        assert done.exit_code == 0, done.output
        return done.output

    first = serve()
    secret = read_webhook_secret(model_dir / WEBHOOK_SECRET_FILE)
    assert str(model_dir / WEBHOOK_SECRET_FILE) in first and secret not in first
    serve()
    assert read_webhook_secret(model_dir / WEBHOOK_SECRET_FILE) == secret  # kept on restart
    with TestClient(served[-1]) as http:
        start = {"action": "START_TRAINING", "project": {"id": 1}}
        assert http.post("/webhook", json=start).status_code == 403
        assert (
            http.post("/webhook", json={"action": "PING"}, headers={WEBHOOK_SECRET_HEADER: secret}).status_code == 200
        )

    for command in ("serve", "connect"):
        shown = runner.invoke(cli.app, ["backend", command, "--help"], env={"COLUMNS": "300"}).output
        shown = " ".join(shown.replace("│", " ").split())
        for variable in ("ANNOTATE_WEBHOOK_SECRET", "BASIC_AUTH_PASS", "LABEL_STUDIO_API_KEY"):
            assert f"prefer {variable}: arguments show in `ps`" in shown, (command, variable)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakeLabelStudio:
    """The few SDK calls connect_backend makes, against a project whose webhook Label Studio has made."""

    def __init__(self, backend_url: str):
        self.webhook = SimpleNamespace(id=3, url=f"{backend_url}/webhook", headers={})
        self._client_wrapper = SimpleNamespace(get_base_url=lambda: "http://label-studio")
        self.connection_fields: dict = {}
        self.ml = SimpleNamespace(list=lambda project: [], create=self._create)
        self.webhooks = SimpleNamespace(list=lambda project: [self.webhook], update=self._update)

    def _create(self, **fields):
        self.connection_fields = fields
        return SimpleNamespace(id=1, url=fields["url"], model_version="v1")

    def _update(self, webhook_id: int, headers: dict) -> None:
        self.webhook.headers = headers


def test_connect_puts_the_secret_and_the_basic_auth_on_the_webhook(tmp_path, monkeypatch):
    backend_url = "http://127.0.0.1:9090"
    fake = FakeLabelStudio(backend_url)
    connect_backend(fake, SimpleNamespace(id=1), backend_url, "annotate", CREDENTIALS, SECRET)
    assert fake.webhook.headers[WEBHOOK_SECRET_HEADER] == SECRET
    assert fake.webhook.headers["Authorization"] == "Basic bGFiZWxzdHVkaW86czNjcmV0LXBhc3M="
    assert (fake.connection_fields["basic_auth_user"], fake.connection_fields["basic_auth_pass"]) == CREDENTIALS

    # The command line reads the secret from the file `serve` keeps, else from the environment.
    monkeypatch.setattr(cli.studio, "connect_to", lambda *args: fake)
    monkeypatch.setattr(cli, "find_project", lambda client, name: SimpleNamespace(id=1))
    monkeypatch.chdir(tmp_path)  # no backend-models/ here
    monkeypatch.delenv("ANNOTATE_WEBHOOK_SECRET", raising=False)
    secret_file = stored_webhook_secret(tmp_path / "models")
    connect = ["backend", "connect", "--project", "news", "--backend-url", backend_url]
    runner = CliRunner()
    done = runner.invoke(cli.app, [*connect, "--webhook-secret-file", str(secret_file)], env={})
    assert done.exit_code == 0, done.output
    assert fake.webhook.headers == {WEBHOOK_SECRET_HEADER: read_webhook_secret(secret_file)}
    done = runner.invoke(cli.app, connect, env={"ANNOTATE_WEBHOOK_SECRET": "from-the-environment"})
    assert done.exit_code == 0, done.output
    assert fake.webhook.headers == {WEBHOOK_SECRET_HEADER: "from-the-environment"}
    # No basic auth of the backend's own: the connection, which the Train button uses, carries the secret.
    assert fake.connection_fields["auth_method"] == "BASIC_AUTH"
    assert fake.connection_fields["basic_auth_pass"] == "from-the-environment"
    missing = runner.invoke(cli.app, [*connect, "--webhook-secret-file", str(tmp_path / "none")])
    assert missing.exit_code == 1 and isinstance(missing.exception, UserError)


# --- Retraining that fails, or does not prove better, keeps the served model ------------------------------------


def exported_tasks(documents, labels=None) -> list[dict]:
    """The documents as Label Studio's full export gives them, each annotated with its quotes; the stances are
    ``labels`` in turn when given (labels no model can learn: a new one scores near chance)."""
    stances = cycle(labels) if labels else None
    tasks = []
    for number, document in enumerate(documents, start=1):
        result = labelstudio.quotes_to_result(document.quotes)
        for region in result:
            if stances and region.get("from_name") == labelstudio.STANCE_TAG:
                region["value"]["choices"] = [next(stances)]
        annotation = {"id": number, "completed_by": 1, "was_cancelled": False, "result": result}
        tasks.append(
            {"id": number, "data": {"text": document.text, "doc_id": document.id}, "annotations": [annotation]}
        )
    return tasks


@pytest.fixture
def project_export(monkeypatch):
    """What the trainer reads from Label Studio, without Label Studio: set ``.tasks``."""
    export = SimpleNamespace(tasks=[])
    monkeypatch.setattr(labelstudio, "connect", lambda url, api_key: object())
    monkeypatch.setattr(labelstudio, "export_tasks", lambda client, project_id: export.tasks)
    return export


ACCESS = LabelStudioAccess(url="http://label-studio.invalid", api_key="unused")


@pytest.fixture
def unwritable_model_dir(tmp_path):
    """A model folder nothing can be written into: read-only, or, where mode bits do not stop this user (root),
    a path that is a regular file."""
    folder = tmp_path / "models"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        (folder / "probe").mkdir()
    except PermissionError:
        pass
    else:
        (folder / "probe").rmdir()
        folder.chmod(0o700)
        folder.rmdir()
        folder.write_text("not a folder\n")
    yield folder
    if folder.is_dir():
        folder.chmod(0o700)


def train_through_the_webhook(http) -> dict:
    assert http.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}}).status_code == 200
    deadline = time.monotonic() + 240
    while (state := http.get("/health").json())["training"] or not state["last_training_error"]:
        assert time.monotonic() < deadline, f"the training did not end: {state}"
        time.sleep(0.2)
    return state


def test_a_retraining_that_cannot_write_its_model_keeps_the_old_one_serving(
    prelabeller, prelabelled_seeds, project_export, unwritable_model_dir, caplog
):
    project_export.tasks = exported_tasks(prelabelled_seeds)
    app = build_app(prelabeller, unwritable_model_dir, 0, ACCESS, Settings(test_size=0))
    with TestClient(app) as http:
        state = train_through_the_webhook(http)
        reason = state["last_training_error"]
        assert reason.startswith("project 1: ") and "\n" not in reason
        assert "Permission denied" in reason or "is not a folder" in reason, reason
        assert state["model_version"] == prelabeller.model_version
        answer = http.post("/predict", json={"tasks": [ls_task(1, prelabelled_seeds[0].text)]}).json()
        assert answer["model_version"] == answer["results"][0]["model_version"] == prelabeller.model_version
    assert "retraining failed, keeping the current stance model" in caplog.text
    assert "Traceback" not in caplog.text


def test_too_few_held_out_quotes_keep_the_old_model(prelabeller, prelabelled_seeds, project_export, tmp_path):
    article = max(prelabelled_seeds, key=lambda document: len(document.quotes))
    held_out = -(-len(article.quotes) * 2 // 10)  # train() holds out a fifth, rounded up
    assert held_out < MIN_HELD_OUT_QUOTES
    # every label often enough to hold some out: what is short is the held-out set alone, whatever the model says
    project_export.tasks = exported_tasks([article], labels=["favor", "against", "none"])
    app = build_app(prelabeller, tmp_path / "models", 0, ACCESS, Settings(test_size=0.2))
    with TestClient(app) as http:
        state = train_through_the_webhook(http)
    assert state["last_training_error"] == (
        f"project 1: {held_out} held-out quotes are too few to trust the retrained model (it needs "
        f"{MIN_HELD_OUT_QUOTES}); the served model stays until more quotes are labelled"
    )
    assert state["model_version"] == prelabeller.model_version
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


class TableStance(StanceModel):
    """A reference model that answers each quote from a table of quote texts."""

    def __init__(self, table: dict[str, str]):
        super().__init__("reference", None)
        self.table = table

    def predict(self, items, memory=None):
        return [Stance(self.table[item.text]) for item in items]


def test_a_retrained_model_worse_than_the_reference_on_the_held_out_quotes_is_not_served(
    prelabeller, prelabelled_seeds, project_export, tmp_path
):
    labels = ["favor", "against", "none", "none", "favor"]  # not learnable from the texts
    project_export.tasks = exported_tasks(prelabelled_seeds, labels)
    settings = Settings(test_size=0.5)
    assert sum(len(document.quotes) for document in prelabelled_seeds) * settings.test_size >= MIN_HELD_OUT_QUOTES
    # The quotes as train() reads them, to give the reference every answer.
    write_dataset(project_export.tasks, tmp_path / "dataset", name="dataset", target=prelabeller.target)
    truth = {q.item.text: q.label for q in load_labelled_quotes(tmp_path / "dataset", prelabeller.target)}
    models = tmp_path / "models"

    def retrain(reference: StanceModel) -> StanceModel:
        encoder = prelabeller.stance_model.encoder
        return ProjectTrainer(ACCESS, prelabeller.target, models, settings, encoder, reference)(1)

    with pytest.raises(UserError, match=r"macro-F1 0\.\d+ on \d+ held-out quotes is below 0\.9\d+ for reference"):
        retrain(TableStance(truth))
    assert not any(models.iterdir())  # the model not served is not kept

    # Against a reference that is always wrong, the same training is served.
    other = {label: STANCE_LABELS[(STANCE_LABELS.index(label) + 1) % 3] for label in STANCE_LABELS}
    model = retrain(TableStance({text: other[label] for text, label in truth.items()}))
    assert model.version.startswith("stance-project1-")
    assert [folder.name for folder in models.iterdir()] == [model.version.rsplit("-", 1)[0]]
