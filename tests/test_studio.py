"""``annotate studio start|status|stop``: the embedded Label Studio through the real command line."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import free_port

from annotate import studio as embedded

pytestmark = pytest.mark.studio

ANNOTATE = Path(sys.executable).parent / "annotate"


def studio(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "ANNOTATE_"))}
    return subprocess.run(
        [str(ANNOTATE), "studio", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "label_studio" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")


def test_start_status_stop(tmp_path):
    data_dir, port = tmp_path / "ls", free_port()
    # A folder someone else made readable to all, with an old log in it: start takes that access away.
    data_dir.mkdir(mode=0o755)
    (data_dir / "label-studio.log").write_text("an earlier run\n")
    os.chmod(data_dir / "label-studio.log", 0o644)
    assert studio("status", data_dir=data_dir).returncode == 1

    # The first start migrates a new database: slow on a busy 2-core machine; start waits while it makes progress.
    started = studio("start", "--port", str(port), data_dir=data_dir)
    try:
        assert started.returncode == 0, started.stderr
        url = f"http://127.0.0.1:{port}"
        credentials_path = data_dir / "credentials.json"
        assert url in started.stdout
        assert "admin@localhost" in started.stdout
        assert str(credentials_path) in started.stdout
        assert stat.S_IMODE(credentials_path.stat().st_mode) == 0o600
        # the database holds the API token: no one but the owner may read it, or anything else in the folder
        assert (data_dir / "label_studio.sqlite3").is_file()
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        for path in data_dir.rglob("*"):
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        credentials = json.loads(credentials_path.read_text())
        for secret in (credentials["password"], credentials["api_key"], credentials["pat"], credentials["secret_key"]):
            assert secret and secret not in started.stdout + started.stderr
        assert httpx.get(f"{url}/health").json()["status"] == "UP"
        pid = json.loads((data_dir / "server.json").read_text())["pid"]
        assert pid_alive(pid)

        status = studio("status", data_dir=data_dir)
        assert status.returncode == 0 and url in status.stdout

        # a rerun (make demo again) shows the running server and how to log in
        twice = studio("start", "--port", str(free_port()), data_dir=data_dir)
        assert twice.returncode == 0, twice.stderr
        assert f"already running at {url}" in twice.stdout and "admin@localhost" in twice.stdout
        assert str(credentials_path) in twice.stdout
    finally:
        stopped = studio("stop", data_dir=data_dir)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not pid_alive(pid)
    assert not (data_dir / "server.json").exists()
    assert studio("status", data_dir=data_dir).returncode == 1

    # Started again, the server still accepts the personal access token it made the first time, whatever Label
    # Studio's own key file says: here a key starting with "$", as one in fifty it generates does, which its
    # settings read as a reference to another variable (and so, on their own, sign with a new key).
    (data_dir / ".env").write_text("SECRET_KEY=$tarts-with-a-dollar\n")
    restarted = studio("start", "--port", str(port), data_dir=data_dir)
    try:
        assert restarted.returncode == 0, restarted.stderr
        assert json.loads(credentials_path.read_text())["pat"] == credentials["pat"]
        access = httpx.post(f"{url}/api/token/refresh/", json={"refresh": credentials["pat"]})
        assert access.status_code == 200, access.text
        me = httpx.get(f"{url}/api/current-user/whoami", headers={"Authorization": f"Bearer {access.json()['access']}"})
        assert me.status_code == 200 and me.json()["email"] == "admin@localhost"
    finally:
        studio("stop", data_dir=data_dir)


def test_a_server_that_dies_while_starting_fails_with_its_log(tmp_path):
    data_dir = tmp_path / "ls"
    data_dir.mkdir()
    # a database file Label Studio cannot open makes its first start die
    (data_dir / "label_studio.sqlite3").write_text("not a database")
    failed = studio("start", "--port", str(free_port()), data_dir=data_dir)
    assert failed.returncode == 1
    first, *tail = failed.stderr.strip().splitlines()
    assert first.startswith("error: Label Studio exited; the end of") and tail, failed.stderr
    assert not (data_dir / "server.json").exists()


def test_taken_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = studio("start", "--port", str(port), data_dir=tmp_path / "ls")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ls" / "server.json").exists()


def test_a_damaged_server_file_reads_as_no_server(tmp_path):
    data_dir = tmp_path / "ls"
    data_dir.mkdir()
    for damaged in ('{"pid": "twelve", "url": "http://127.0.0.1:1"}', '{"url": "x"}', "[1, 2]", "{"):
        (data_dir / "server.json").write_text(damaged)
        result = studio("status", data_dir=data_dir)
        assert result.returncode == 1 and not result.stderr, (damaged, result.stderr)
        assert result.stdout.strip() == "Label Studio is not running"


def test_a_folder_from_before_credentials_held_the_key_keeps_its_token_if_it_can(tmp_path):
    old = {"username": "admin@localhost", "password": "p", "api_key": "k" * 40, "pat": "a-token"}
    readable, unreadable = tmp_path / "readable", tmp_path / "unreadable"
    for folder, key in ((readable, "plain-key"), (unreadable, "$plain-key")):
        folder.mkdir()
        (folder / ".env").write_text(f"\nSECRET_KEY={key}\n")
    kept = embedded.Credentials(**old)
    embedded._keep_secret_key(readable, kept)
    assert (kept.secret_key, kept.pat) == ("plain-key", "a-token")
    # Label Studio could not read that key back: the token it signed is lost, so start makes a new one.
    replaced = embedded.Credentials(**old)
    embedded._keep_secret_key(unreadable, replaced)
    assert replaced.pat is None and replaced.secret_key and not replaced.secret_key.startswith("$")
