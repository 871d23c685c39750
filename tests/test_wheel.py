"""The wheel carries everything the commands read at run time (the labelling config, the default target), and a
fresh virtual environment with only the wheel installed pushes to the real Label Studio."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import SEEDS_DIR

from annotate import labelstudio

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(folder: Path) -> Path:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(folder)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = folder.glob("annotate-*.whl")
    return wheel


def test_the_wheel_holds_the_label_config_and_the_default_target(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {"label_config/quotes.xml", "stance/targets/s400.yaml", "stance/targets/s400-corpus.jsonl"}
    assert {f"annotate/{name}" for name in packaged} <= names
    # one file, not two copies: the repository's label_config/quotes.xml is the packaged one
    assert (ROOT / "label_config" / "quotes.xml").resolve() == (ROOT / "annotate" / "label_config" / "quotes.xml")


@pytest.mark.studio
def test_a_fresh_venv_with_the_wheel_pushes_to_label_studio(studio, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    # The dependencies come from this environment, placed after the fresh venv's own site-packages: a plain path
    # entry, so this checkout's editable install of the project (a .pth hook there) is not seen.
    fresh_site = Path(
        subprocess.check_output([str(python), "-c", "import site; print(site.getsitepackages()[0])"], text=True).strip()
    )
    (fresh_site / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    where = subprocess.check_output(
        [str(python), "-c", "import annotate; print(annotate.__file__)"], text=True, cwd=tmp_path
    )
    assert Path(where.strip()).is_relative_to(venv)

    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "ANNOTATE_")) or k == "ANNOTATE_CACHE"
    }
    env = {**clean, "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.pat}
    pushed = subprocess.run(
        [str(venv / "bin" / "annotate"), "push", str(SEEDS_DIR), "--project", "from-the-wheel"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert studio.pat not in pushed.stdout + pushed.stderr
    client = labelstudio.connect(studio.url, studio.pat)
    project = labelstudio.get_project(client, "from-the-wheel")
    tasks = labelstudio.export_tasks(client, project.id)
    assert len(tasks) == len(list(SEEDS_DIR.glob("*.txt")))
    assert all(task["predictions"] and task["predictions"][0]["result"] for task in tasks)
