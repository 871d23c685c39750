"""A second annotator: ``annotate studio add-user``, then two real users annotate one task and agreement is
computed from the project's export."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from annotate import labelstudio
from annotate.data import Quote, Speaker, Stance

pytestmark = pytest.mark.studio

ANNOTATE = Path(sys.executable).parent / "annotate"
TEXT = 'The port will reopen in May, the mayor said. "It is safe," she added. Unions said the date was too late.'


def annotate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    return subprocess.run([str(ANNOTATE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def quote(text: str, stance: str) -> Quote:
    start = TEXT.index(text)
    mention = TEXT.index("the mayor")
    return Quote(start, start + len(text), text, speaker=Speaker(mention, mention + 9, "the mayor", "mayor"),
                 stance=Stance(stance), id=f"q{start}")  # fmt: skip


def test_two_annotators_on_one_task(studio, tmp_path) -> None:
    added = annotate("studio", "add-user", "second@example.org", "--data-dir", str(studio.data_dir), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    path = studio.data_dir / "users" / "second@example.org.json"
    assert str(path) in added.stdout and stat.S_IMODE(path.stat().st_mode) == 0o600
    second = json.loads(path.read_text())
    assert second["password"] not in added.stdout + added.stderr
    again = annotate("studio", "add-user", "second@example.org", "--data-dir", str(studio.data_dir), cwd=tmp_path)
    assert again.returncode == 1 and "already has a Label Studio login" in again.stderr

    admin = labelstudio.connect(studio.url, studio.pat)
    project = labelstudio.create_project(admin, "two-annotators", "gold")
    labelstudio.import_tasks(admin, project.id, [{"data": {"text": TEXT}}])
    (task_id,) = [t.id for t in admin.tasks.list(project=project.id)]
    annotator = labelstudio.connect(studio.url, second["api_key"])  # the new user's own token
    first = [quote("The port will reopen in May", "none"), quote("It is safe,", "favor")]
    other = [quote("The port will reopen in May", "none"), quote("It is safe,", "against")]
    admin.annotations.create(id=task_id, result=labelstudio.quotes_to_result(first))
    annotator.annotations.create(id=task_id, result=labelstudio.quotes_to_result(other))

    exported = annotate("export", "--project", "two-annotators", "--output", str(tmp_path / "two"), "--url",
                        studio.url, "--api-key", studio.pat, cwd=tmp_path)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    report = annotate("agreement", "--dataset", str(tmp_path / "two"), "--json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert figures["annotators"] == sorted([studio.username, "second@example.org"])
    assert (figures["annotation_pairs"], figures["matched_quotes"], figures["unmatched_quotes"]) == (1, 2, 0)
    assert figures["stance_agreement"] == 0.5 and figures["speaker_agreement"] == 1.0


def test_add_user_needs_the_embedded_server(tmp_path) -> None:
    result = annotate("studio", "add-user", "x@example.org", "--data-dir", str(tmp_path / "none"), cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "run annotate studio start first" in result.stderr
