"""The ML backend against the real Label Studio: predictions for tasks imported without them (through
"Retrieve predictions" and interactive pre-annotation), retraining after N annotations, a failed training that
keeps the old model, basic auth, and a backend that is down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from annotate import labelstudio
from annotate.backend import LabelStudioAccess, build_app, serving
from annotate.data import STANCE_LABELS
from annotate.train import Settings

pytestmark = pytest.mark.studio

ANNOTATE = Path(sys.executable).parent / "annotate"
RETRAIN_EVERY = 2
# Tiny training so the test stays quick: the plumbing is under test here, not the model's quality.
TINY_TRAINING = Settings(test_size=0)


def annotate(*args: str) -> subprocess.CompletedProcess:
    # No LABEL_STUDIO_* or embedded credentials leak in from the environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "ANNOTATE_", "BASIC_AUTH_"))}
    return subprocess.run([str(ANNOTATE), *args], env=env, capture_output=True, text=True, timeout=300)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)
    return value


def health(backend_url: str) -> dict:
    return httpx.get(f"{backend_url}/health", timeout=10).json()


@pytest.fixture(scope="module")
def client(studio):
    return labelstudio.connect(studio.url, studio.api_key)


def new_project(client, title: str, label_config: str | None = None):
    return client.projects.create(
        title=title, label_config=label_config or labelstudio.label_config(), show_collab_predictions=True
    )


@pytest.fixture(scope="module")
def backend(prelabeller, tmp_path_factory):
    """The backend on a free port; it reads annotations with the host and token Label Studio's /setup sends."""
    model_dir = tmp_path_factory.mktemp("backend-models")
    app = build_app(prelabeller, model_dir, RETRAIN_EVERY, LabelStudioAccess(), TINY_TRAINING)
    with serving(app) as url:
        yield url, model_dir


@pytest.fixture(scope="module")
def project(client, studio, backend, prelabelled_seeds):
    """A project connected to the backend by the CLI, with two articles imported without predictions."""
    project = new_project(client, "backend-test")
    connected = annotate(
        "backend",
        "connect",
        "--project",
        "backend-test",
        "--backend-url",
        backend[0],
        "--url",
        studio.url,
        "--api-key",
        studio.api_key,
    )
    assert connected.returncode == 0, connected.stderr
    articles = prelabelled_seeds[:2]
    labelstudio.import_tasks(client, project.id, [{"data": {"text": document.text}} for document in articles])
    return project


def task_ids(client, project) -> list[int]:
    return sorted(task.id for task in client.tasks.list(project=project.id, fields="task_only"))


def retrieve_predictions(client, project) -> None:
    client.actions.create(
        id="retrieve_tasks_predictions", project=project.id, selected_items={"all": True, "excluded": []}
    )


def quote_regions(result: list[dict]) -> list[dict]:
    return [
        item
        for item in result
        if item.get("from_name") == labelstudio.SPAN_TAG and item["value"]["labels"] == [labelstudio.QUOTE_LABEL]
    ]


def top_margin(scores: dict[str, float]) -> float:
    best, second = sorted(scores.values(), reverse=True)[:2]
    return best - second


def test_retrieve_predictions_fills_tasks_imported_without_them(client, project, prelabeller, prelabelled_seeds):
    retrieve_predictions(client, project)
    expected = {document.text: document.quotes for document in prelabelled_seeds}
    quotes_seen = 0
    for task_id in task_ids(client, project):
        task = client.tasks.get(task_id)
        text = task.data["text"]
        predictions = client.predictions.list(task=task_id)
        assert [p.model_version for p in predictions] == [prelabeller.model_version]
        result = predictions[0].result
        for region in quote_regions(result):
            assert text[region["value"]["start"] : region["value"]["end"]] == region["value"]["text"]
        served = labelstudio.result_to_quotes(text, result)
        assert [(q.start, q.end, q.speaker.name if q.speaker else None) for q in served] == [
            (q.start, q.end, q.speaker.name if q.speaker else None) for q in expected[text]
        ]
        assert all(q.stance.label in STANCE_LABELS for q in served)
        # bfloat16 scores shift slightly with the batch a quote is scored in: a near tie may go either way.
        clear = [
            (s.stance.label, e.stance.label)
            for s, e in zip(served, expected[text])
            if top_margin(e.stance.scores) > 0.01
        ]
        assert [label for label, _ in clear] == [label for _, label in clear]
        quotes_seen += len(served)
    assert quotes_seen > 0


def test_interactive_pre_annotation_returns_the_prediction(client, studio, project):
    ml_backend = client.ml.list(project=project.id)[0]
    assert ml_backend.is_interactive
    task_id = task_ids(client, project)[0]
    response = httpx.post(
        f"{studio.url}/api/ml/{ml_backend.id}/interactive-annotating",
        headers={"Authorization": f"Token {studio.api_key}"},
        json={"task": task_id},
        timeout=120,
    )
    answer = response.json()
    assert "errors" not in answer, answer
    stored = client.predictions.list(task=task_id)[0].result

    def without_scores(result):
        return [{key: value for key, value in region.items() if key != "score"} for region in result]

    assert without_scores(answer["data"]["result"]) == without_scores(stored)
    # A stance's confidence shifts in the last digits with the batch its quote is encoded in.
    assert [r.get("score", 0) for r in answer["data"]["result"]] == pytest.approx(
        [r.get("score", 0) for r in stored], abs=2e-3
    )


def test_failed_training_keeps_the_model_and_says_why(client, backend, project):
    backend_url, model_dir = backend
    before = health(backend_url)["model_version"]
    # The Train button on a project nobody has annotated yet: there is nothing to learn from.
    client.ml.train(client.ml.list(project=project.id)[0].id)
    state = wait_for(
        lambda: (h := health(backend_url))["last_training_error"] and not h["training"] and h,
        120,
        "the failed training",
    )
    assert "no submitted human annotations" in state["last_training_error"]
    assert state["model_version"] == before
    assert not any(model_dir.iterdir())


def test_annotations_retrain_the_model_and_predictions_use_it(client, backend, project, prelabeller):
    backend_url, model_dir = backend
    for task_id in task_ids(client, project)[:RETRAIN_EVERY]:
        # The annotator reviews the prediction and sets each quote's stance.
        result = client.predictions.list(task=task_id)[0].result
        stances = iter(STANCE_LABELS * len(result))
        for item in result:
            if item.get("from_name") == labelstudio.STANCE_TAG:
                item["value"]["choices"] = [next(stances)]
        client.annotations.create(id=task_id, result=result, lead_time=5.0)
    new_version = wait_for(
        lambda: (v := health(backend_url)["model_version"]) != prelabeller.model_version and v,
        240,
        "the retrained model",
    )
    assert (model_dir / new_version.rsplit("-", 1)[0]).is_dir()  # the folder, then the weights' hash

    ml_backend = client.ml.get(client.ml.list(project=project.id)[0].id)
    assert ml_backend.model_version == new_version
    retrieve_predictions(client, project)
    for task_id in task_ids(client, project):
        versions = {p.model_version: p for p in client.predictions.list(task=task_id)}
        assert set(versions) == {prelabeller.model_version, new_version}
        spans = [(r["value"]["start"], r["value"]["end"]) for r in quote_regions(versions[new_version].result)]
        assert spans == [
            (r["value"]["start"], r["value"]["end"]) for r in quote_regions(versions[prelabeller.model_version].result)
        ]

    # Each retraining writes a model folder; only the one served and the one before it are kept.
    served = [new_version]
    for _ in range(2):
        client.ml.train(ml_backend.id)
        served.append(
            wait_for(
                lambda: (v := health(backend_url)["model_version"]) not in served and v, 240, "another retrained model"
            )
        )
    assert sorted(folder.name for folder in model_dir.iterdir()) == sorted(v.rsplit("-", 1)[0] for v in served[-2:])


def test_basic_auth_then_backend_down(client, studio, prelabeller, tmp_path):
    project = new_project(client, "backend-down")
    credentials = ("labelstudio", "s3cret-pass")
    app = build_app(prelabeller, tmp_path, 1, LabelStudioAccess(), TINY_TRAINING, basic_auth=credentials)
    connect = (
        "backend",
        "connect",
        "--project",
        "backend-down",
        "--url",
        studio.url,
        "--api-key",
        studio.api_key,
        "--basic-auth-user",
        credentials[0],
    )
    status = ("backend", "status", "--project", "backend-down", "--url", studio.url, "--api-key", studio.api_key)
    with serving(app) as backend_url:
        refused = annotate(*connect, "--backend-url", backend_url, "--basic-auth-pass", "wrong")
        assert refused.returncode == 1
        assert "basic auth" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        accepted = annotate(*connect, "--backend-url", backend_url, "--basic-auth-pass", credentials[1])
        assert accepted.returncode == 0, accepted.stderr
        up = annotate(*status)
        assert up.returncode == 0, up.stderr
        assert f"{backend_url} connected" in up.stdout
        # Annotation events reach the protected /webhook: an annotation without quotes starts a training that fails.
        assert httpx.get(f"{backend_url}/health").status_code == 401
        labelstudio.import_tasks(client, project.id, [{"data": {"text": "Officials met on Monday."}}])
        client.annotations.create(id=task_ids(client, project)[0], result=[], lead_time=1.0)
        state = wait_for(
            lambda: httpx.get(f"{backend_url}/health", auth=credentials).json()["last_training_error"],
            60,
            "the webhook",
        )
        assert "mark no quotes" in state
        assert not any(tmp_path.iterdir())  # a failed training leaves no model folder behind

    down = annotate(*status)
    assert down.returncode == 1
    assert down.stderr.strip().splitlines() == [down.stderr.strip()]
    assert backend_url in down.stderr and "does not answer" in down.stderr
    assert "Traceback" not in down.stderr

    # Label Studio itself keeps working: import, and "Retrieve predictions" simply brings none.
    labelstudio.import_tasks(client, project.id, [{"data": {"text": "The talks continue on Tuesday."}}])
    retrieve_predictions(client, project)
    assert [client.predictions.list(task=t) for t in task_ids(client, project)] == [[], []]

    reconnect = annotate(*connect, "--backend-url", backend_url, "--basic-auth-pass", credentials[1])
    assert reconnect.returncode == 1
    assert reconnect.stderr.strip().splitlines() == [reconnect.stderr.strip()]
    assert "cannot reach the ML backend" in reconnect.stderr


def test_a_project_with_another_labelling_config_is_refused(client, studio, backend):
    new_project(
        client,
        "backend-other-config",
        '<View><Text name="text" value="$text"/><Choices name="topic" toName="text"><Choice value="a"/></Choices></View>',
    )
    refused = annotate(
        "backend",
        "connect",
        "--project",
        "backend-other-config",
        "--backend-url",
        backend[0],
        "--url",
        studio.url,
        "--api-key",
        studio.api_key,
    )
    assert refused.returncode == 1
    assert "rejected the project's setup" in refused.stderr
