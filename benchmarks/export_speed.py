"""Seconds to export 10,000 annotated tasks from the embedded Label Studio into a dataset folder.

usage: python benchmarks/export_speed.py [--tasks 10000] [--data-dir DIR]

Starts its own Label Studio (SQLite) in a temporary folder, imports ``--tasks`` tasks, each an article of
seeds/ or benchmarks/data/*/docs (made distinct by a line at its end) with the pre-labels as its prediction and as
a submitted annotation, then times ``annotate export`` end to end (a fresh process, reading the embedded server's
database), the same read and write in this process, and, for comparison, Label Studio's export API with the
download, the path taken for a server that is not the embedded one. With ``--data-dir`` the server's folder is
kept, and a later run with the same ``--tasks`` reuses its project instead of building it again.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import free_port  # noqa: E402

from annotate import labelstudio, studio  # noqa: E402
from annotate.dataset import write_dataset  # noqa: E402
from annotate.documents import iter_documents  # noqa: E402
from annotate.memory import collector_paused  # noqa: E402
from annotate.pipeline import Prelabeller  # noqa: E402
from annotate.stance import load_target  # noqa: E402

ANNOTATE = Path(sys.executable).parent / "annotate"
IMPORT_CHUNK = 500


def annotated_tasks(count: int) -> list[dict]:
    articles = sorted({*ROOT.glob("seeds/*.txt"), *ROOT.glob("benchmarks/data/*/docs/*.txt")})
    labelled = list(Prelabeller().prelabel(iter_documents(articles)))
    tasks = []
    for number in range(count):
        document = labelled[number % len(labelled)]
        task = labelstudio.document_to_task(document)
        # Appended, so the quotes' offsets still hold; the content hash tells the copies apart.
        task["data"]["text"] += f"\n\n(copy {number})"
        task["data"][labelstudio.HASH_KEY] = labelstudio.content_hash(task["data"]["text"])
        task["annotations"] = [{"result": task["predictions"][0]["result"], "completed_by": 1}]
        tasks.append(task)
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, help="Label Studio folder to keep (and reuse) the project in")
    args = parser.parse_args()
    title = f"export-speed-{args.tasks}"
    with tempfile.TemporaryDirectory() as folder:
        data_dir = args.data_dir or Path(folder) / "ls"
        server = studio.start(data_dir, port=free_port())
        try:
            client = labelstudio.connect(server.url, server.api_key)
            project = next((found for found in client.projects.list() if found.title == title), None)
            if project is None:
                tasks = annotated_tasks(args.tasks)
                project = client.projects.create(title=title, label_config=labelstudio.label_config())
                started = time.perf_counter()
                for chunk in range(0, len(tasks), IMPORT_CHUNK):
                    labelstudio.import_tasks(client, project.id, tasks[chunk : chunk + IMPORT_CHUNK])
                print(f"{len(tasks)} annotated tasks imported in {time.perf_counter() - started:.1f} s")

            started = time.perf_counter()
            command = [str(ANNOTATE), "export", "--project", title, "-o", f"{folder}/cli-export"]
            subprocess.run([*command, "--data-dir", str(data_dir)], check=True, capture_output=True)
            end_to_end = time.perf_counter() - started

            started = time.perf_counter()
            with collector_paused():
                read = studio.read_project(data_dir, server.url, project.id)
                summary = write_dataset(read, Path(folder) / "export", name="export-speed", target=load_target())
            in_process = time.perf_counter() - started

            started = time.perf_counter()
            labelstudio.export_tasks(client, project.id, snapshot_dir=data_dir / "media" / "export")
            through_api = time.perf_counter() - started
        finally:
            studio.stop(data_dir)
    print(f"{summary.annotated_tasks} annotated tasks, {summary.quotes} quotes")
    print(f"annotate export, end to end:                     {end_to_end:6.1f} s")
    print(f"  database read and dataset written, in process: {in_process:6.1f} s")
    print(f"Label Studio's export API with the download:     {through_api:6.1f} s")


if __name__ == "__main__":
    main()
