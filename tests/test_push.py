"""``annotate push`` against the real embedded Label Studio: bulk import with predictions, idempotence,
both token kinds, and one-line errors that never show the token."""

from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, free_port, proxy

from annotate import labelstudio
from annotate.data import STANCE_LABELS, Document, Stance
from annotate.documents import iter_documents
from annotate.errors import UserError
from annotate.pipeline import Prelabeller
from annotate.stance import load_target

pytestmark = pytest.mark.studio

ANNOTATE = Path(sys.executable).parent / "annotate"
PROJECT = "push-test"


def clean_env() -> dict[str, str]:
    # No embedded credentials or LABEL_STUDIO_* leak in.
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "ANNOTATE_")) or k == "ANNOTATE_CACHE"
    }


def annotate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # A clean working folder too: no embedded credentials there.
    return subprocess.run(
        [str(ANNOTATE), *args], cwd=cwd, env={**clean_env(), **(env or {})}, capture_output=True, text=True, timeout=600
    )


def counts(line: str) -> tuple[int, int, int]:
    """(created, skipped, failed) from the summary line."""
    words = line.replace(",", "").split()
    return tuple(int(words[words.index(kind) - 1]) for kind in ("created", "skipped", "failed"))


@pytest.fixture(scope="module")
def first_push(studio, tmp_path_factory):
    """Seeds pushed once with the legacy token given as options."""
    cwd = tmp_path_factory.mktemp("push")
    result = annotate(
        "push", str(SEEDS_DIR), "--project", PROJECT, "--url", studio.url, "--api-key", studio.api_key, cwd=cwd
    )
    return cwd, result


def test_push_creates_one_task_per_document_with_visible_predictions(studio, first_push):
    _, result = first_push
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (5, 0, 0)
    client = labelstudio.connect(studio.url, studio.api_key)
    project = client.projects.get(labelstudio.get_project(client, PROJECT).id)
    assert project.show_collab_predictions
    assert project.model_version
    # the annotators see what the stance is toward, with example claims per label
    target = load_target(None)
    assert target.name in project.description and project.show_instruction
    assert all(f"<b>{label}</b>" in project.expert_instruction for label in STANCE_LABELS)
    assert html.escape(target.statements["against"][0]) in project.expert_instruction
    # the Data Manager tab hides the tool's columns and sorts the least certain pre-labels first
    (view,) = client.views.list(project=project.id)
    data = view.data if isinstance(view.data, dict) else view.data.dict()
    assert "tasks:data.content_hash" in data["hiddenColumns"]["explore"]
    assert data["ordering"] == ["tasks:predictions_score"]
    exported = labelstudio.export_tasks(client, project.id)
    assert len(exported) == 5
    seeds = {document.text for document in iter_documents([SEEDS_DIR])}
    assert {task["data"]["text"] for task in exported} == seeds
    for task in exported:
        assert [p["model_version"] for p in task["predictions"]] == [project.model_version]
        assert task["data"]["content_hash"] == labelstudio.content_hash(task["data"]["text"])
        # The least certain stance is the task's score, so sorting by it puts the tasks to review first on top.
        prediction = task["predictions"][0]
        stance_scores = [region["score"] for region in prediction["result"] if region.get("from_name") == "stance"]
        assert stance_scores and all(0 < score <= 1 for score in stance_scores)
        assert prediction["score"] == pytest.approx(min(stance_scores), abs=1e-4)


def test_push_again_skips_and_adds_only_new_documents_with_a_personal_access_token(studio, first_push, tmp_path):
    cwd, _ = first_push
    env = {"LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.pat}
    again = annotate("push", str(SEEDS_DIR), "--project", PROJECT, cwd=cwd, env=env)
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == (0, 5, 0)

    new = tmp_path / "new.txt"
    new.write_text(
        'Officials met in Ankara. "We will not give up the system," the minister told reporters.\n', encoding="utf-8"
    )
    more = annotate("push", str(SEEDS_DIR), str(new), "--project", PROJECT, cwd=cwd, env=env)
    assert more.returncode == 0, more.stderr
    assert counts(more.stdout) == (1, 5, 0)
    client = labelstudio.connect(studio.url, studio.pat)
    assert len(labelstudio.export_tasks(client, labelstudio.get_project(client, PROJECT).id)) == 6


def test_embedded_credentials_are_used_when_no_key_is_given(studio, tmp_path):
    result = annotate(
        "push", str(SEEDS_DIR), "--project", "embedded-default", "--data-dir", str(studio.data_dir), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (5, 0, 0)


def test_the_embedded_token_is_not_sent_to_another_server(studio, tmp_path):
    other = f"http://127.0.0.1:{free_port()}"
    result = annotate(
        "push",
        str(SEEDS_DIR),
        "--project",
        "elsewhere",
        "--url",
        other,
        "--data-dir",
        str(studio.data_dir),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no Label Studio API key")


def test_a_document_that_fails_to_prelabel_does_not_stop_the_others(studio, prelabeller, tmp_path):
    class FailsOnOne(Prelabeller):
        def __init__(self):
            self.__dict__.update(prelabeller.__dict__)  # share the loaded model

        def extract(self, document, layout=None):
            if document.id == "bad":
                raise RuntimeError("cannot pre-label this one")
            return super().extract(document, layout)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "bad", "text": "A document the pre-labeller chokes on."}\n', encoding="utf-8")
    documents = list(iter_documents([SEEDS_DIR, bad]))
    client = labelstudio.connect(studio.url, studio.pat)
    report = labelstudio.push_documents(client, "partial-failure", documents, FailsOnOne)
    assert (report.created, report.skipped, report.failed) == (5, 0, ["bad"])


@pytest.mark.parametrize("case", ["down", "wrong url", "wrong legacy token", "wrong personal access token"])
def test_connection_problems_end_in_one_line_without_the_token(studio, tmp_path, case):
    url, key = {
        "down": (f"http://127.0.0.1:{free_port()}", studio.api_key),
        "wrong url": (f"{studio.url}/not-label-studio", studio.api_key),
        "wrong legacy token": (studio.url, "0123456789abcdef0123456789abcdef01234567"),
        # A well-formed JWT whose signature the server rejects.
        "wrong personal access token": (
            studio.url,
            studio.pat[:-4] + ("AAAA" if not studio.pat.endswith("AAAA") else "BBBB"),
        ),
    }[case]
    result = annotate("push", str(SEEDS_DIR), "--project", PROJECT, "--url", url, "--api-key", key, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and url in lines[0]
    assert "Traceback" not in result.stderr
    for secret in (key, studio.api_key, studio.pat):
        assert secret not in result.stderr


def test_push_counts_the_projects_corrected_tasks_as_evidence_about_their_speakers(studio):
    """An annotator said a speaker argues against; that speaker's next, doubtful quote leans against too."""
    client = labelstudio.connect(studio.url, studio.api_key)
    earlier = Document(
        "earlier", 'Kemal Arin spoke to reporters on Monday.\n\n"The talks will go on next week," Kemal Arin said.\n'
    )
    later_text = 'Officials met again on Friday.\n\n"We will see what the coming days bring," Kemal Arin said.\n'
    labelstudio.push_documents(client, "pool-corrected", [earlier], Prelabeller)
    project = labelstudio.get_project(client, "pool-corrected")
    (task,) = labelstudio.export_tasks(client, project.id)
    quotes = labelstudio.result_to_quotes(task["data"]["text"], task["predictions"][0]["result"])
    assert quotes and all(q.speaker and q.speaker.name == "Kemal Arin" for q in quotes)
    for quote in quotes:
        quote.stance = Stance("against")
    client.annotations.create(id=task["id"], result=labelstudio.quotes_to_result(quotes), lead_time=1.0)

    corrected, fresh = Document("later", later_text), Document("later", later_text)
    assert labelstudio.push_documents(client, "pool-corrected", [corrected], Prelabeller).created == 1
    assert labelstudio.push_documents(client, "pool-fresh", [fresh], Prelabeller).created == 1
    (with_evidence,), (without,) = corrected.quotes, fresh.quotes
    assert with_evidence.stance.scores["against"] > without.stance.scores["against"] + 0.05
    assert with_evidence.stance.scores["none"] == pytest.approx(without.stance.scores["none"], abs=1e-4)


class Crash(BaseException):
    """A crash part-way through a push (not an error the push would report and go past)."""


def test_a_push_that_crashes_part_way_resumes_without_duplicates(studio, prelabeller):
    client = labelstudio.connect(studio.url, studio.pat)
    seeds = list(iter_documents([SEEDS_DIR]))

    class CrashingAfterFirstChunk:
        def __init__(self):
            self.calls = 0

        def __getattr__(self, name):
            return getattr(prelabeller, name)

        def prelabel(self, documents):
            self.calls += 1
            if self.calls > 1:
                raise Crash
            return prelabeller.prelabel(documents)

    with pytest.raises(Crash):
        labelstudio.push_documents(client, "resumed", seeds, CrashingAfterFirstChunk, chunk_size=2)
    project = labelstudio.get_project(client, "resumed")
    assert len(labelstudio.export_tasks(client, project.id)) == 2  # the first chunk landed whole

    again = labelstudio.push_documents(client, "resumed", seeds, lambda: prelabeller, chunk_size=2)
    assert (again.created, again.skipped, again.failed) == (len(seeds) - 2, 2, [])
    tasks = labelstudio.export_tasks(client, project.id)
    assert sorted(labelstudio.task_keys(t)["content_hash"] for t in tasks) == sorted(
        labelstudio.content_hash(d.text) for d in seeds
    )
    assert all(t["predictions"] for t in tasks)


def test_two_pushes_of_one_folder_at_once_import_each_document_once(studio, tmp_path):
    env = {**clean_env(), "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.pat}
    command = [str(ANNOTATE), "push", str(SEEDS_DIR), "--project", "pushed-twice"]
    pushes = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [push.communicate(timeout=600) for push in pushes]
    assert [push.returncode for push in pushes] == [0, 0], results
    seeds = len(list(SEEDS_DIR.glob("*.txt")))
    # One push imported every document; the other, waiting its turn, found them all there.
    assert sorted(counts(stdout.strip().splitlines()[-1])[:2] for stdout, _ in results) == [(0, seeds), (seeds, 0)]
    client = labelstudio.connect(studio.url, studio.pat)
    tasks = labelstudio.export_tasks(client, labelstudio.get_project(client, "pushed-twice").id)
    assert len(tasks) == len({labelstudio.task_keys(t)["content_hash"] for t in tasks}) == seeds


def hashes_in(client, title: str) -> list[str]:
    return sorted(
        labelstudio.task_keys(t)["content_hash"]
        for t in labelstudio.export_tasks(client, labelstudio.get_project(client, title).id)
    )


def test_an_import_whose_answer_is_lost_is_not_repeated(studio, prelabeller):
    seeds = list(iter_documents([SEEDS_DIR]))
    direct = labelstudio.connect(studio.url, studio.pat)
    labelstudio.create_project(direct, "answer-lost", prelabeller.model_version)
    # Label Studio saves every import, but the proxy in front of it answers 504 Gateway Timeout each time.
    with proxy(studio.url, "POST", r"/api/projects/\d+/import", 504, forward=True) as url:
        report = labelstudio.push_documents(
            labelstudio.connect(url, studio.pat), "answer-lost", seeds, lambda: prelabeller
        )
    assert (report.created, report.skipped, report.failed) == (len(seeds), 0, [])
    assert hashes_in(direct, "answer-lost") == sorted(labelstudio.content_hash(d.text) for d in seeds)


class OtherModel:
    """The pre-labeller under another model version, as after a retraining."""

    model_version = "another-model"

    def __init__(self, prelabeller):
        self._prelabeller = prelabeller

    def __getattr__(self, name):
        return getattr(self._prelabeller, name)

    def prelabel(self, documents):
        for document in self._prelabeller.prelabel(documents):
            document.model_version = self.model_version
            yield document


def test_a_rerun_shows_predictions_that_a_failed_push_imported_but_never_showed(studio, prelabeller):
    seeds = list(iter_documents([SEEDS_DIR]))
    direct = labelstudio.connect(studio.url, studio.pat)
    labelstudio.push_documents(direct, "version-repair", seeds[:2], lambda: prelabeller)
    # The import lands; setting the project's model version afterwards fails.
    with proxy(studio.url, "PATCH", r"/api/projects/\d+/?", 500, forward=False) as url:
        with pytest.raises(UserError, match="model version"):
            labelstudio.push_documents(
                labelstudio.connect(url, studio.pat), "version-repair", seeds[2:], lambda: OtherModel(prelabeller)
            )
    project = labelstudio.get_project(direct, "version-repair")
    assert direct.projects.get(project.id).model_version == prelabeller.model_version  # new predictions hidden

    rerun = labelstudio.push_documents(direct, "version-repair", seeds, lambda: OtherModel(prelabeller))
    assert (rerun.created, rerun.skipped) == (0, len(seeds))
    assert direct.projects.get(project.id).model_version == OtherModel.model_version


def test_two_machines_pushing_into_a_new_project_at_once_end_with_one_project_and_one_task_each(studio, tmp_path):
    # Separate caches: the pushes do not share the lock that makes pushes from one machine take turns.
    shared = Path(os.environ["ANNOTATE_CACHE"])
    env = {"LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.pat}
    pushes = []
    for machine in ("a", "b"):
        cache = tmp_path / f"cache-{machine}"
        shutil.copytree(shared, cache, ignore=shutil.ignore_patterns("locks"))
        command = [str(ANNOTATE), "push", str(SEEDS_DIR), "--project", "two-machines"]
        pushes.append(
            subprocess.Popen(
                command,
                cwd=tmp_path,
                env={**clean_env(), **env, "ANNOTATE_CACHE": str(cache)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = [push.communicate(timeout=600) for push in pushes]
    assert [push.returncode for push in pushes] == [0, 0], results
    client = labelstudio.connect(studio.url, studio.pat)
    assert [p.title for p in client.projects.list(title="two-machines")] == ["two-machines"]
    assert hashes_in(client, "two-machines") == sorted(
        labelstudio.content_hash(d.text) for d in iter_documents([SEEDS_DIR])
    )


@pytest.mark.parametrize("earlier_twin", [False, True], ids=["alone", "after-another-push"])
def test_a_project_created_twice_by_a_resent_request_ends_as_one(studio, earlier_twin):
    # The first create lands but its answer is lost (500): the SDK sends it again, and Label Studio makes a second.
    title = f"created-twice-{earlier_twin}"
    direct = labelstudio.connect(studio.url, studio.pat)
    first = labelstudio.create_project(direct, title, "v1") if earlier_twin else None
    with proxy(studio.url, "POST", r"/api/projects/?", 500, forward=True, catches=1) as url:
        kept = labelstudio.create_project(labelstudio.connect(url, studio.pat), title, "v1")
    left = [p.id for p in direct.projects.list(title=title) if p.title == title]
    assert left == [kept.id]
    if first is not None:
        assert kept.id == first.id
    assert len(direct.views.list(project=kept.id)) == 1  # the review tab, once


def test_titles_are_trimmed_as_label_studio_stores_them_and_bad_ones_refused_before_any_work(studio, tmp_path):
    env = {"LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.pat}
    first = annotate(
        "push", str(SEEDS_DIR / "000_6349514afa5b50d1.txt"), "--project", "  trimmed title ", cwd=tmp_path, env=env
    )
    again = annotate(
        "push", str(SEEDS_DIR / "000_6349514afa5b50d1.txt"), "--project", "trimmed title", cwd=tmp_path, env=env
    )
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert counts(again.stdout.strip().splitlines()[-1]) == (0, 1, 0)
    client = labelstudio.connect(studio.url, studio.pat)
    assert [p.title for p in client.projects.list(title="trimmed title")] == ["trimmed title"]
    for title, reason in (("   ", "empty"), ("x" * 51, "3 to 50 characters"), ("ab", "3 to 50 characters")):
        # an unreachable server: the title is refused before the connection, the model or any article
        refused = annotate(
            "push", str(SEEDS_DIR), "--project", title, "--url", "http://127.0.0.1:9", "--api-key", "k", cwd=tmp_path
        )
        assert refused.returncode == 1 and reason in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr


def test_a_server_answering_json_of_another_shape_is_one_line(studio, tmp_path):
    with proxy(studio.url, "GET", r"/api/.*", 200, forward=False, body=b"[1, 2]") as url:
        for command in (["push", str(SEEDS_DIR)], ["export", "-o", str(tmp_path / "out")], ["backend", "status"]):
            result = annotate(*command, "--project", PROJECT, "--url", url, "--api-key", studio.pat, cwd=tmp_path)
            assert result.returncode == 1, result.stderr
            assert (
                result.stderr.strip()
                == f"error: {url} does not answer like a Label Studio server while connecting; check --url / LABEL_STUDIO_URL"
            )


def test_a_push_whose_server_is_killed_part_way_finishes_on_rerun_with_each_document_once(prelabeller, tmp_path):
    from annotate import studio as embedded

    data_dir, port = tmp_path / "ls", free_port()
    server = embedded.start(data_dir, port=port)
    try:
        seeds = list(iter_documents([SEEDS_DIR]))

        class KillsTheServerAfterFirstChunk:
            calls = 0

            def __getattr__(self, name):
                return getattr(prelabeller, name)

            def prelabel(self, documents):
                KillsTheServerAfterFirstChunk.calls += 1
                if KillsTheServerAfterFirstChunk.calls == 2:
                    os.killpg(server.pid, signal.SIGKILL)  # the first chunk is in; the server dies before the next
                return prelabeller.prelabel(documents)

        client = labelstudio.connect(server.url, server.pat)
        with pytest.raises(UserError, match="cannot reach Label Studio"):
            labelstudio.push_documents(client, "killed", seeds, KillsTheServerAfterFirstChunk, chunk_size=2)
        server = embedded.start(data_dir, port=port)
        client = labelstudio.connect(server.url, server.pat)
        rerun = labelstudio.push_documents(client, "killed", seeds, lambda: prelabeller, chunk_size=2)
        assert (rerun.created, rerun.skipped, rerun.failed) == (len(seeds) - 2, 2, [])
        assert hashes_in(client, "killed") == sorted(labelstudio.content_hash(d.text) for d in seeds)
    finally:
        embedded.stop(data_dir)


def test_duplicates_are_removed_in_one_action_keeping_the_annotated_copy(studio, prelabelled_seeds):
    client = labelstudio.connect(studio.url, studio.pat)
    project = labelstudio.create_project(client, "twice-imported", "v1")
    tasks = [labelstudio.document_to_task(document) for document in prelabelled_seeds[:3]]
    labelstudio.import_tasks(client, project.id, tasks)
    labelstudio.import_tasks(client, project.id, tasks)  # as two pushes at once would
    second_copy = max(task.id for task in client.tasks.list(project=project.id))
    client.annotations.create(id=second_copy, result=[], completed_by=1)
    assert labelstudio.remove_duplicates(client, project.id, last_task_id=0) == 3
    left = {task.id for task in client.tasks.list(project=project.id)}
    assert len(left) == 3 and second_copy in left
