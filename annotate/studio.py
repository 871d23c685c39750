"""The embedded Label Studio: one local server on 127.0.0.1 with SQLite, run detached from a data folder.

The data folder holds Label Studio's own database and media, plus three files of ours:
``credentials.json`` (admin login, legacy API token, personal access token and the key that signs it; mode 0600),
``server.json`` (process id and URL of the running server) and ``label-studio.log``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import UserError, first_line

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(".label-studio")
DEFAULT_PORT = 8080
DEFAULT_STALL = 180.0  # seconds without log output or CPU use after which a starting server counts as stuck
LOG_TAIL_LINES = 15
HOST = "127.0.0.1"
ADMIN_EMAIL = "admin@localhost"
CREDENTIALS_FILE, SERVER_FILE, LOG_FILE = "credentials.json", "server.json", "label-studio.log"
SQLITE_FILE = "label_studio.sqlite3"  # the embedded server's database on SQLite
DATABASE_FILE = "database.json"  # where a PostgreSQL-backed server keeps its database (0600: it holds the password)
USERS_FOLDER = "users"  # other annotators' logins, one 0600 file each


@dataclass
class Credentials:
    username: str
    password: str
    api_key: str  # legacy token
    pat: str | None = None  # personal access token (JWT refresh token)
    secret_key: str | None = None  # Django's SECRET_KEY, which signs the personal access token


@dataclass
class Server:
    """A running embedded server and how to log into it."""

    url: str
    pid: int
    data_dir: Path
    credentials: Credentials

    @property
    def username(self) -> str:
        return self.credentials.username

    @property
    def password(self) -> str:
        return self.credentials.password

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def pat(self) -> str | None:
        return self.credentials.pat

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / CREDENTIALS_FILE

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE


def _write_private(path: Path, payload: dict) -> None:
    """Write JSON readable only by its owner, replacing the file in one step."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=1)
    os.replace(tmp, path)


def make_private(data_dir: Path) -> None:
    """Take group and other access away from the data folder and everything in it, whoever created them: the
    SQLite database holds the API token."""
    for folder, subfolders, files in os.walk(data_dir):
        for path in [folder, *(os.path.join(folder, name) for name in subfolders + files)]:
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
                os.chmod(path, stat.S_IMODE(mode) & 0o700)


def _read_private(path: Path, kind: type, what: str):
    """A ``kind`` from the JSON file ``_write_private`` wrote, or None when there is none."""
    if not path.is_file():
        return None
    try:
        return kind(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise UserError(f"unreadable {what} file {path}: {exc.__class__.__name__}") from None


def read_credentials(data_dir: Path) -> Credentials | None:
    return _read_private(data_dir / CREDENTIALS_FILE, Credentials, "Label Studio credentials")


@dataclass
class Database:
    """A PostgreSQL database for Label Studio (none: SQLite in the data folder)."""

    user: str
    host: str
    port: int
    name: str
    password: str = ""

    @property
    def url(self) -> str:
        """The database without its password, to show."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"

    def env(self) -> dict[str, str]:
        return {
            "LABEL_STUDIO_DJANGO_DB": "postgresql",
            "LABEL_STUDIO_POSTGRE_USER": self.user,
            "LABEL_STUDIO_POSTGRE_PASSWORD": self.password,
            "LABEL_STUDIO_POSTGRE_HOST": self.host,
            "LABEL_STUDIO_POSTGRE_PORT": str(self.port),
            "LABEL_STUDIO_POSTGRE_NAME": self.name,
        }


def parse_database(url: str) -> Database:
    """``postgresql://USER@HOST:PORT/DB``; the password comes from ``PGPASSWORD`` (as for psql), never the URL,
    because a command line is visible to every user of the machine."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise UserError(f"--database {url!r}: not a URL of the form postgresql://USER@HOST:PORT/DB") from None
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise UserError(f"--database {url!r}: expected postgresql://USER@HOST:PORT/DB")
    if parts.password is not None:
        raise UserError(
            "--database: leave the password out of the URL (other users can read command lines); set PGPASSWORD"
        )
    return Database(
        user=parts.username or os.environ.get("USER", "postgres"),
        host=parts.hostname,
        port=port,
        name=parts.path.strip("/"),
        password=os.environ.get("PGPASSWORD", ""),
    )


def read_database(data_dir: Path) -> Database | None:
    return _read_private(data_dir / DATABASE_FILE, Database, "database")


def _check_database(database: Database) -> None:
    """Fail in one line when PostgreSQL cannot be reached, before Label Studio tries for minutes."""
    try:
        import psycopg2
    except ImportError:
        raise UserError("Label Studio on PostgreSQL needs psycopg2: pip install 'annotate[studio]'") from None
    try:
        psycopg2.connect(
            dbname=database.name, user=database.user, password=database.password, host=database.host,
            port=database.port, connect_timeout=10,
        ).close()  # fmt: skip
    except psycopg2.Error as exc:
        raise UserError(f"cannot connect to PostgreSQL at {database.url}: {first_line(exc)}") from None


def _choose_database(data_dir: Path, requested: str | None, first_start: bool) -> Database | None:
    """The data folder's database: the one it was first started with. A folder set up on SQLite stays on it, and
    one on PostgreSQL stays on its database (its admin and tokens live there); the password may change."""
    stored = read_database(data_dir)
    if requested is None:
        return stored
    database = parse_database(requested)
    if stored is None and not first_start:
        raise UserError(f"{data_dir} holds a Label Studio on SQLite; start one on PostgreSQL with another --data-dir")
    if stored is not None and stored.url != database.url:
        raise UserError(f"{data_dir} runs on {stored.url}; use another --data-dir for {database.url}")
    return database


def _new_credentials() -> Credentials:
    # Label Studio keeps legacy tokens in a 40-character column.
    return Credentials(
        username=ADMIN_EMAIL,
        password=secrets.token_urlsafe(18),
        api_key=secrets.token_hex(20),
        secret_key=secrets.token_urlsafe(48),
    )


def _keep_secret_key(data_dir: Path, credentials: Credentials) -> None:
    """Give a folder set up before credentials held the secret key the one Label Studio wrote to its ``.env``.

    Label Studio reads that file with django-environ, which takes a value starting with ``$`` for a reference to
    another variable: a generated key that starts so (one in fifty) reads as missing at the next start, a new key
    replaces it, and the personal access token it signed is rejected. We pass the key in the environment instead,
    and never generate one with a ``$``; an unreadable old key is replaced and the token made again."""
    if credentials.secret_key is not None:
        return
    env_file = data_dir / ".env"
    lines = env_file.read_text(encoding="utf-8").splitlines() if env_file.is_file() else []
    written = next((line.partition("=")[2].strip() for line in lines if line.startswith("SECRET_KEY=")), "")
    if written and not written.startswith("$"):
        credentials.secret_key = written
    else:
        credentials.secret_key, credentials.pat = secrets.token_urlsafe(48), None


def _process_alive(pid: int) -> bool:
    """Whether ``pid`` is alive and still a Label Studio process (not a recycled id)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process now has that id
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"label_studio" in cmdline.read_bytes()


def running_server(data_dir: Path) -> dict | None:
    """``{"pid", "url"}`` of the server started from ``data_dir`` if it is still running."""
    path = data_dir / SERVER_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        pid = int(state["pid"])
    except (ValueError, TypeError, KeyError):
        return None  # damaged: no server can be found through it, and the next start replaces it
    return state if pid > 0 and _process_alive(pid) else None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: connections a crashed server left in TIME_WAIT do not keep the port from it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def healthy(url: str, timeout: float = 2.0) -> bool:
    import httpx  # here, not at the top: the CLI imports this module for every command, pre-labelling too

    try:
        response = httpx.get(f"{url}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json().get("status") == "UP"


def _server_env(credentials: Credentials, database: Database | None) -> dict[str, str]:
    # Secrets go through the environment (readable only by the owner), never the command line.
    return {
        **os.environ,
        **(database.env() if database else {"LABEL_STUDIO_DJANGO_DB": "sqlite"}),
        "LABEL_STUDIO_USERNAME": credentials.username,
        "LABEL_STUDIO_PASSWORD": credentials.password,
        "LABEL_STUDIO_USER_TOKEN": credentials.api_key,
        # Organisations created since 1.20 refuse legacy tokens unless this is on at creation.
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        # A local annotation server: nobody signs up uninvited, nothing is fetched from the internet.
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        # No outbound connection: no version check, analytics or error reports (server and browser). The
        # LABEL_STUDIO_ names are the ones Label Studio reads first, so a user's environment cannot turn them on.
        "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
        "LABEL_STUDIO_SENTRY_DSN": "",
        "LABEL_STUDIO_FRONTEND_SENTRY_DSN": "",
        # The embedded server is loopback-only and its ML backend (`annotate backend serve`) runs on loopback too;
        # by default Label Studio refuses ML backends and webhooks on local addresses.
        "ML_BLOCK_LOCAL_IP": "false",
        "SSRF_PROTECTION_ENABLED": "false",
        # Passed here rather than left to Label Studio's .env (see _keep_secret_key).
        **({"SECRET_KEY": credentials.secret_key} if credentials.secret_key else {}),
    }


def _stop_process(pid: int, grace: float = 15.0) -> None:
    """Terminate the server's process group (it runs in a session of its own), then kill it if it lingers."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                # Reap it when it is our child (the test fixture); otherwise just poll.
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            except ChildProcessError:
                if not _process_alive(pid):
                    return
            time.sleep(0.2)


def _create_personal_access_token(url: str, credentials: Credentials) -> str:
    from .labelstudio import connect, create_personal_access_token

    return create_personal_access_token(connect(url, credentials.api_key))


def start(
    data_dir: Path = DEFAULT_DATA_DIR,
    port: int = DEFAULT_PORT,
    stall: float = DEFAULT_STALL,
    on_wait: Callable[[float], None] | None = None,
    database: str | None = None,
) -> Server:
    """Start the server detached and wait until it is healthy; the first start creates the admin and its tokens
    (and runs the database migrations, which take minutes on a busy machine). It waits as long as the server
    process is alive and making progress (writing its log or using the CPU), calling ``on_wait`` with the seconds
    waited; it fails when the process exits or shows no progress for ``stall`` seconds, with the log's last lines.
    ``database`` (``postgresql://USER@HOST:PORT/DB``, password in ``PGPASSWORD``) puts Label Studio on PostgreSQL;
    the data folder remembers it for later starts."""
    if importlib.util.find_spec("label_studio") is None:
        raise UserError("the embedded server needs the label-studio package: pip install 'annotate[studio]'")
    data_dir = data_dir.resolve()
    if running_server(data_dir) is not None:
        raise AlreadyRunning(running(data_dir))
    if not _port_free(port):
        raise UserError(f"port {port} on {HOST} is already in use; choose another with --port")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(data_dir)
    credentials = read_credentials(data_dir)
    chosen = _choose_database(data_dir, database, first_start=credentials is None)
    if chosen is not None:
        _check_database(chosen)
        _write_private(data_dir / DATABASE_FILE, asdict(chosen))
    if credentials is None:
        credentials = _new_credentials()
    _keep_secret_key(data_dir, credentials)
    _write_private(data_dir / CREDENTIALS_FILE, asdict(credentials))

    url = f"http://{HOST}:{port}"
    command = [
        sys.executable, "-m", "label_studio.server", "start",
        "--no-browser", "--internal-host", HOST, "--port", str(port), "--data-dir", str(data_dir),
    ]  # fmt: skip
    log_fd = os.open(data_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(log_fd, "ab") as log:
        # umask 077: the database (which holds the API token), uploads and exports are the owner's alone.
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=_server_env(credentials, chosen), cwd=data_dir, start_new_session=True, umask=0o077,
        )  # fmt: skip
    _write_private(data_dir / SERVER_FILE, {"pid": process.pid, "url": url})

    started = last_progress = time.monotonic()
    progress = _progress(process.pid, data_dir / LOG_FILE)
    while not healthy(url):
        now = time.monotonic()
        seen = _progress(process.pid, data_dir / LOG_FILE)
        if seen != progress:
            progress, last_progress = seen, now
        if process.poll() is not None or now - last_progress > stall:
            reason = "exited" if process.poll() is not None else f"made no progress for {stall:.0f} s"
            _stop_process(process.pid)
            (data_dir / SERVER_FILE).unlink(missing_ok=True)
            raise UserError(
                f"Label Studio {reason}; the end of {data_dir / LOG_FILE}:\n{_log_tail(data_dir / LOG_FILE)}"
            )
        if on_wait is not None:
            on_wait(now - started)
        time.sleep(1.0)

    if credentials.pat is None:
        credentials.pat = _create_personal_access_token(url, credentials)
        _write_private(data_dir / CREDENTIALS_FILE, asdict(credentials))
    return Server(url=url, pid=process.pid, data_dir=data_dir, credentials=credentials)


class AlreadyRunning(UserError):
    """``start`` found the server already running: not a failure, its ``server`` is the one to use."""

    def __init__(self, server: Server):
        super().__init__(f"Label Studio is already running at {server.url} (pid {server.pid})")
        self.server = server


def running(data_dir: Path) -> Server:
    state = running_server(data_dir)
    credentials = read_credentials(data_dir)
    if state is None or credentials is None:
        raise UserError(f"no Label Studio running from {data_dir}")
    return Server(url=state["url"], pid=int(state["pid"]), data_dir=data_dir, credentials=credentials)


def _progress(pid: int, log: Path) -> tuple[int, int]:
    """What a starting server has done so far: bytes of log written and CPU ticks used (where /proc tells)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks = sum(int(field) for field in fields[11:15])  # utime, stime and its children's
    except (OSError, ValueError, IndexError):
        ticks = 0
    try:
        size = log.stat().st_size
    except OSError:
        size = 0
    return size, ticks


def _log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.rstrip().splitlines()[-lines:])


# Run inside Label Studio's Django, against the data folder's database; the new user's email and password come
# through the environment (never the command line), and it prints the user's API token.
_ADD_USER = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.label_studio")
django.setup()
from organizations.models import Organization
from users.models import User
email, password = os.environ["ANNOTATE_NEW_EMAIL"], os.environ["ANNOTATE_NEW_PASSWORD"]
if User.objects.filter(email=email).exists():
    raise SystemExit(3)
user = User.objects.create_user(email=email, password=password, username=email)
organization = Organization.objects.first()
organization.add_user(user)
user.active_organization = organization
user.save()
print(user.auth_token.key)
"""


def add_user(data_dir: Path, email: str) -> Path:
    """Add an annotator to the embedded server's organisation with a new password, written with its API token to
    ``users/EMAIL.json`` in the data folder (mode 0600); the path of that file."""
    import label_studio

    data_dir = data_dir.resolve()
    credentials = read_credentials(data_dir)
    if credentials is None:
        raise UserError(f"no embedded Label Studio in {data_dir}: run annotate studio start first")
    if not re.fullmatch(r"[^@\s/]+@[^@\s/]+", email):
        raise UserError(f"{email!r} is not an email address")
    password = secrets.token_urlsafe(18)
    env = {
        **_server_env(credentials, read_database(data_dir)),
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "ANNOTATE_NEW_EMAIL": email,
        "ANNOTATE_NEW_PASSWORD": password,
        "PYTHONPATH": os.pathsep.join([str(Path(label_studio.__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", _ADD_USER], env=env, cwd=data_dir, capture_output=True, text=True, timeout=600
    )
    if done.returncode == 3:
        raise UserError(f"{email} already has a Label Studio login")
    if done.returncode != 0 or not done.stdout.strip():
        tail = "\n".join(done.stderr.strip().splitlines()[-LOG_TAIL_LINES:])
        raise UserError(f"could not add {email} to Label Studio:\n{tail}")
    folder = data_dir / USERS_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{email}.json"
    _write_private(path, {"username": email, "password": password, "api_key": done.stdout.strip().splitlines()[-1]})
    return path


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> int | None:
    """Stop the server started from ``data_dir``; its process id, or None if none was running."""
    data_dir = data_dir.resolve()
    state = running_server(data_dir)
    if state is not None:
        _stop_process(int(state["pid"]))
    (data_dir / SERVER_FILE).unlink(missing_ok=True)
    return None if state is None else int(state["pid"])


def embedded_connection(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[str | None, str | None]:
    """URL of the embedded server (if running) and its API key (if it was ever started), for commands
    given neither --url nor --api-key."""
    data_dir = data_dir.resolve()
    state = running_server(data_dir)
    credentials = read_credentials(data_dir)
    api_key = None if credentials is None else credentials.pat or credentials.api_key
    return (None if state is None else state["url"]), api_key


def export_snapshots(data_dir: Path, url: str) -> Path | None:
    """The folder where the embedded server keeps export snapshots, when ``url`` is that server; else None."""
    data_dir = data_dir.resolve()
    state = running_server(data_dir)
    if state is None or state["url"].rstrip("/") != url.rstrip("/"):
        return None
    return data_dir / "media" / "export"


def read_project(data_dir: Path, url: str, project_id: int) -> Iterator[dict] | None:
    """The project's tasks as Label Studio's full JSON export has them, read straight from the database of the
    embedded server when ``url`` is that server (``labelstudio.export_from_database``: seconds where the export
    API takes minutes on a large project), decoded one by one as they are iterated; None when it is another
    server or its database cannot be read."""
    if export_snapshots(data_dir, url) is None:
        return None
    from .labelstudio import export_from_database

    database = read_database(data_dir)
    try:
        if database is None:
            import sqlite3

            errors: tuple[type[Exception], ...] = (sqlite3.Error,)
            path = data_dir.resolve() / SQLITE_FILE
            connection, placeholder = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30), "?"
        else:
            import psycopg2

            errors = (psycopg2.Error,)
            connection = psycopg2.connect(
                dbname=database.name, user=database.user, password=database.password, host=database.host,
                port=database.port, connect_timeout=10,
            )  # fmt: skip
            connection.set_session(readonly=True)
            placeholder = "%s"
    except ImportError:
        return None
    try:
        with closing(connection):
            return export_from_database(connection, project_id, placeholder)
    except errors as exc:  # a Label Studio whose tables differ, or a database gone: the export API serves
        logger.warning("reading the project from the database failed (%s); exporting through the API", first_line(exc))
        return None


def resolve_connection(url: str | None, api_key: str | None, data_dir: Path) -> tuple[str, str | None]:
    """--url/--api-key, each falling back to the embedded server started from ``data_dir``."""
    if url is None or api_key is None:
        embedded_url, embedded_key = embedded_connection(data_dir)
        # The embedded server's token goes to the embedded server only, never to a --url elsewhere.
        if api_key is None and url in (None, embedded_url):
            api_key = embedded_key
        url = url or embedded_url or f"http://{HOST}:{DEFAULT_PORT}"
    return url, api_key


def connect_to(url: str | None, api_key: str | None, data_dir: Path):
    """A checked SDK client for --url/--api-key, falling back to the embedded server started from ``data_dir``."""
    from .labelstudio import connect

    url, api_key = resolve_connection(url, api_key, data_dir)
    if not api_key:
        raise UserError(
            "no Label Studio API key: pass --api-key or set LABEL_STUDIO_API_KEY (or run annotate studio start)"
        )
    return connect(url, api_key)
