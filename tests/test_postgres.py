"""Label Studio on PostgreSQL for a team: a real PostgreSQL server (Debian's package) on a free port in a temp dir,
run as a non-root user; the embedded Label Studio set up on it, pushed to, annotated and exported through it, and
a PostgreSQL outage part-way that a rerun recovers from with nothing lost or duplicated."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from glob import glob
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, free_port

from annotate import labelstudio
from annotate import studio as embedded
from annotate.data import Stance
from annotate.documents import iter_documents
from annotate.errors import UserError

pytestmark = pytest.mark.studio

BINARIES = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
if not BINARIES:
    pytest.skip("PostgreSQL is not installed (apt-get install postgresql)", allow_module_level=True)
psycopg2 = pytest.importorskip("psycopg2")
BIN = Path(BINARIES[-1]).parent
USER, DATABASE, PASSWORD = "annotate", "labelstudio", "pg-test-secret-9f2c"


class Postgres:
    """A PostgreSQL cluster in a temp dir, run by a non-root user (the server refuses root)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="annotate-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD, encoding="utf-8")
        if self.as_user:
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        password_file.chmod(0o600)
        self.run(
            "initdb", "-D", str(self.folder / "data"), "-U", USER, f"--pwfile={password_file}",
            "--auth=scram-sha-256", "-E", "UTF8",
        )  # fmt: skip
        password_file.unlink()

    def run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(BIN / program), *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self.run(
            "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def connect(self, name: str):
        return psycopg2.connect(dbname=name, user=USER, password=PASSWORD, host="127.0.0.1", port=self.port)


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    server.start()
    connection = server.connect("postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    connection.close()
    try:
        yield server
    finally:
        subprocess.run([*server.as_user, str(BIN / "pg_ctl"), "-D", str(server.folder / "data"), "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)  # fmt: skip
        shutil.rmtree(server.folder, ignore_errors=True)


def count_rows(postgres: Postgres, table: str) -> int:
    with postgres.connect(DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed table name
        return cursor.fetchone()[0]


def test_label_studio_on_postgresql_survives_an_outage_without_loss_or_duplicates(
    postgres, prelabeller, tmp_path, monkeypatch
):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    data_dir = tmp_path / "studio"
    url = f"postgresql://{USER}@127.0.0.1:{postgres.port}/{DATABASE}"
    with pytest.raises(UserError, match="password"):
        embedded.parse_database(f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{postgres.port}/{DATABASE}")

    server = embedded.start(data_dir, port=free_port(), database=url)
    try:
        stored = data_dir / embedded.DATABASE_FILE
        assert stored.stat().st_mode & 0o777 == 0o600
        assert PASSWORD not in (data_dir / embedded.SERVER_FILE).read_text()
        assert count_rows(postgres, "htx_user") >= 1  # the admin lives in PostgreSQL, not in a SQLite file
        assert not list(data_dir.glob("*.sqlite3"))

        seeds = list(iter_documents([SEEDS_DIR]))
        client = labelstudio.connect(server.url, server.pat)
        first = labelstudio.push_documents(client, "team", seeds[:3], lambda: prelabeller)
        assert first.created == 3 and not first.failed
        project = labelstudio.get_project(client, "team")
        task = labelstudio.export_tasks(client, project.id)[0]
        quotes = labelstudio.result_to_quotes(task["data"]["text"], task["predictions"][0]["result"])
        for quote in quotes:
            quote.stance = Stance("none")
        client.annotations.create(id=task["id"], result=labelstudio.quotes_to_result(quotes), lead_time=1.0)

        # PostgreSQL goes down part-way: the next push fails in one clear error, and nothing is half-written.
        postgres.stop()
        with pytest.raises(UserError):
            labelstudio.push_documents(client, "team", seeds, lambda: prelabeller)
        postgres.start()
        assert count_rows(postgres, "task") == 3

        # Label Studio restarted without --database keeps its PostgreSQL database; the rerun adds only the rest.
        embedded.stop(data_dir)
        server = embedded.start(data_dir, port=free_port())
        client = labelstudio.connect(server.url, server.pat)
        again = labelstudio.push_documents(client, "team", seeds, lambda: prelabeller)
        assert (again.created, again.skipped, again.failed) == (len(seeds) - 3, 3, [])
        tasks = labelstudio.export_tasks(client, project.id)
        assert len(tasks) == len(seeds) == count_rows(postgres, "task")
        assert len({labelstudio.task_keys(t)["content_hash"] for t in tasks}) == len(seeds)
        annotated = [t for t in tasks if t["annotations"]]
        assert [t["id"] for t in annotated] == [task["id"]]
        kept = labelstudio.result_to_quotes(annotated[0]["data"]["text"], annotated[0]["annotations"][0]["result"])
        assert len(kept) == len(quotes) and {quote.stance.label for quote in kept} == {"none"}
    finally:
        embedded.stop(data_dir)
