"""Label Studio: converters between the data model and tasks/predictions/annotations (the one place
they live), and the SDK client for projects, import, export and ML backend connections.

Offsets cross unchanged: Label Studio's Text tag stores code-point offsets, as Python's str does (its
front end converts the browser's UTF-16 selection indices with ``charsToCodePoints``); a prediction
given UTF-16 offsets shows shifted by one character per emoji before it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from label_studio_sdk.label_interface import LabelInterface

from .batching import batched
from .data import STANCE_LABELS, Document, Quote, Span, Speaker, Stance
from .errors import UserError, first_line
from .files import exclusive

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

    from .pipeline import Prelabeller
    from .stance.target import Target

logger = logging.getLogger(__name__)

# Inside the package, so a wheel carries it; label_config/quotes.xml in the repository links here.
LABEL_CONFIG_PATH = Path(__file__).resolve().parent / "label_config" / "quotes.xml"

# Names of the tags in label_config/quotes.xml.
SPAN_TAG, TEXT_TAG, STANCE_TAG, TYPE_TAG, NAME_TAG = "label", "text", "stance", "type", "speaker_name"
QUOTE_LABEL, SPEAKER_LABEL, RELATION_LABEL = "Quote", "Speaker", "said_by"
# The task data keys, here only: the article (TEXT_TAG), then what the tool reads back (document id, source path, content hash).
DOC_ID_KEY, SOURCE_KEY, HASH_KEY = "doc_id", "source", "content_hash"
# The Data Manager tab annotators open: the columns only the tool reads hidden, and the least certain pre-labels
# (lowest prediction score) first.
TOOL_COLUMNS = [f"tasks:data.{key}" for key in (HASH_KEY, SOURCE_KEY, DOC_ID_KEY)]
REVIEW_VIEW = {
    "title": "Review (least certain first)",
    "hiddenColumns": {"explore": TOOL_COLUMNS, "labeling": TOOL_COLUMNS},
    "ordering": ["tasks:predictions_score"],
}
EXAMPLE_CLAIMS = 3  # example claims per stance label in a project's instructions
PUSH_CHUNK = 200  # documents pre-labelled and imported per request: bounds memory and request size
IMPORT_ATTEMPTS = 3  # an import whose answer was lost is checked and completed this many times at most
TITLE_MIN_LENGTH, TITLE_MAX_LENGTH = 3, 50  # Label Studio's PROJECT_TITLE_MIN_LEN and PROJECT_TITLE_MAX_LEN
RULE_PREFIX = "rule: "  # a pre-tag's region meta names the extraction rule that produced it
# The header that the webhook ``connect_backend`` registers sends the ML backend's shared secret in, and the basic
# auth user of an ML connection whose password is that secret (so that the Train button carries it).
WEBHOOK_SECRET_HEADER, WEBHOOK_SECRET_USER = "X-Annotate-Webhook-Secret", "annotate"


def label_config() -> str:
    return LABEL_CONFIG_PATH.read_text(encoding="utf-8")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _region(region_id: str, span: Span, from_name: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": TEXT_TAG,
        "type": kind,
        "value": {"start": span.start, "end": span.end, **value},
    }


def quotes_to_result(quotes: list[Quote]) -> list[dict[str, Any]]:
    """Label Studio result items for quotes: spans, per-region stance/type/name, said_by relations."""
    result: list[dict[str, Any]] = []
    speaker_ids: dict[tuple[int, int], str] = {}
    for number, quote in enumerate(quotes, start=1):
        quote_id = quote.id or f"q{number}"
        span = Span(quote.start, quote.end, quote.text)
        quote_region = _region(quote_id, span, SPAN_TAG, "labels", {"text": quote.text, "labels": [QUOTE_LABEL]})
        if quote.rule:  # shown in the region's details: why the pre-tag exists
            quote_region |= {"meta": {"text": [f"{RULE_PREFIX}{quote.rule}"]}, "score": round(quote.score, 4)}
        result.append(quote_region)
        result.append(
            _region(quote_id, span, STANCE_TAG, "choices", {"choices": [quote.stance.label]})
            | {"score": round(stance_confidence(quote), 4)}
        )
        result.append(_region(quote_id, span, TYPE_TAG, "choices", {"choices": [quote.type]}))
        if quote.speaker is None:
            continue
        speaker = quote.speaker
        key = (speaker.start, speaker.end)
        if key not in speaker_ids:
            speaker_ids[key] = f"{quote_id}-speaker"
            result.append(
                _region(
                    speaker_ids[key], speaker, SPAN_TAG, "labels", {"text": speaker.text, "labels": [SPEAKER_LABEL]}
                )
            )
            result.append(
                _region(speaker_ids[key], speaker, NAME_TAG, "textarea", {"text": [speaker.name or speaker.text]})
            )
        result.append(
            {
                "type": "relation",
                "from_id": quote_id,
                "to_id": speaker_ids[key],
                "direction": "right",
                "labels": [RELATION_LABEL],
            }
        )
    return result


def stance_confidence(quote: Quote) -> float:
    """How sure the pre-labeller is of a quote's stance: the probability of the label it chose."""
    return float(quote.stance.scores.get(quote.stance.label, 0.0))


def task_keys(task: dict[str, Any]) -> dict[str, str]:
    """The document id, source and content hash an exported task carries (the id falls back to the task's)."""
    data = task["data"]
    return {
        DOC_ID_KEY: str(data.get(DOC_ID_KEY) or task["id"]),
        SOURCE_KEY: data.get(SOURCE_KEY) or "",
        HASH_KEY: data.get(HASH_KEY) or "",
    }


def document_to_task(document: Document) -> dict[str, Any]:
    """A task for import, with the pre-labels as a prediction. Its score is the confidence of its least certain
    stance, so sorting the Data Manager by prediction score puts the tasks to review first on top."""
    scores = [stance_confidence(q) for q in document.quotes]
    return {
        "data": {
            TEXT_TAG: document.text,
            DOC_ID_KEY: document.id,
            SOURCE_KEY: document.source,
            HASH_KEY: content_hash(document.text),
        },
        "predictions": [
            {
                "model_version": document.model_version,
                "score": round(min(scores), 4) if scores else 1.0,
                "result": quotes_to_result(document.quotes),
            }
        ],
    }


def result_to_quotes(text: str, result: list[dict[str, Any]]) -> list[Quote]:
    """Quotes from a Label Studio annotation or prediction result, in text order.

    Per-region choices and text areas share the id of the span they belong to; a Quote's speaker is
    the Speaker region its said_by relation points to (either direction, as annotators draw both).
    """
    spans: dict[str, Span] = {}
    labels: dict[str, str] = {}
    rules: dict[str, str] = {}
    attributes: dict[str, dict[str, Any]] = {}
    links: list[tuple[str, str]] = []
    for item in result:
        if item.get("type") == "relation":
            links.append((item["from_id"], item["to_id"]))
            continue
        value, region_id = item.get("value") or {}, item.get("id")
        if region_id is None or "start" not in value:
            continue
        start, end = int(value["start"]), int(value["end"])
        spans[region_id] = Span(start, end, text[start:end])
        if item.get("from_name") == SPAN_TAG and value.get("labels"):
            labels[region_id] = value["labels"][0]
            meta = " ".join((item.get("meta") or {}).get("text") or [])
            if meta.startswith(RULE_PREFIX):
                rules[region_id] = meta.removeprefix(RULE_PREFIX)
        elif item.get("from_name") in (STANCE_TAG, TYPE_TAG) and value.get("choices"):
            attributes.setdefault(region_id, {})[item["from_name"]] = value["choices"][0]
        elif item.get("from_name") == NAME_TAG and value.get("text"):
            attributes.setdefault(region_id, {})[NAME_TAG] = " ".join(value["text"]).strip()

    # The first said_by link that joins a region to a Speaker region, in the order the result lists them.
    speaker_regions: dict[str, str] = {}
    for a, b in links:
        for region, other in ((a, b), (b, a)):
            if labels.get(other) == SPEAKER_LABEL:
                speaker_regions.setdefault(region, other)

    def speaker_of(region_id: str) -> Speaker | None:
        other = speaker_regions.get(region_id)
        if other is None:
            return None
        span = spans[other]
        return Speaker(span.start, span.end, span.text, attributes.get(other, {}).get(NAME_TAG) or span.text)

    quotes = []
    for region_id, label in labels.items():
        if label != QUOTE_LABEL:
            continue
        span, extra = spans[region_id], attributes.get(region_id, {})
        stance_label = extra.get(STANCE_TAG)
        quotes.append(
            Quote(
                start=span.start,
                end=span.end,
                text=span.text,
                type=extra.get(TYPE_TAG) or "direct",
                speaker=speaker_of(region_id),
                stance=Stance(stance_label, {k: float(k == stance_label) for k in STANCE_LABELS})
                if stance_label
                else Stance(),
                id=region_id,
                rule=rules.get(region_id, ""),
            )
        )
    return sorted(quotes, key=lambda q: (q.start, q.end))


# --- SDK client: connection, projects, import and export -------------------------------------------

# Imports of many long articles are slow on a shared machine; the connection check is not.
REQUEST_TIMEOUT, CHECK_TIMEOUT = 300.0, 15.0
TWIN_VISIBILITY_WAIT, TWIN_VISIBILITY_POLL = 30.0, 0.5  # how long to look for a new project in the listing
TASK_PAGE_SIZE = 1000


@contextmanager
def api_errors(url: str, action: str) -> Iterator[None]:
    """Turn transport and API failures into one line that names the server but never the token."""
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.TimeoutException:
        raise UserError(f"Label Studio at {url} did not answer in time while {action}") from None
    except httpx.HTTPError as exc:
        raise UserError(
            f"cannot reach Label Studio at {url} ({exc.__class__.__name__}); is it running? (annotate studio start)"
        ) from None
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise UserError(
                f"Label Studio at {url} rejected the API key while {action} (HTTP {exc.status_code}); check --api-key / LABEL_STUDIO_API_KEY"
            ) from None
        if exc.status_code == 404:
            raise UserError(
                f"no Label Studio API at {url} (HTTP 404 while {action}); check --url / LABEL_STUDIO_URL"
            ) from None
        raise UserError(f"Label Studio at {url} failed while {action} (HTTP {exc.status_code})") from None
    except (ValueError, TypeError):
        # Not JSON, or JSON of another shape (the SDK fails to build its models): not Label Studio listening there.
        raise UserError(
            f"{url} does not answer like a Label Studio server while {action}; check --url / LABEL_STUDIO_URL"
        ) from None


def base_url(client: LabelStudio) -> str:
    return client._client_wrapper.get_base_url()


def connect(url: str, api_key: str) -> LabelStudio:
    """An SDK client, checked with one cheap call; accepts legacy tokens and personal access tokens.

    The SDK exchanges a personal access token (a JWT refresh token) for a short-lived access token
    on first use and again when that one expires.
    """
    from label_studio_sdk import LabelStudio

    url = url.rstrip("/")
    with api_errors(url, "connecting"):
        client = LabelStudio(base_url=url, api_key=api_key, timeout=REQUEST_TIMEOUT)
        client.users.whoami(request_options={"timeout_in_seconds": CHECK_TIMEOUT, "max_retries": 0})
    return client


def project_title(name: str) -> str:
    """``name`` as Label Studio stores a project title (it trims surrounding spaces), or a UserError saying why
    Label Studio would refuse it; checked before any work."""
    title = name.strip()
    if not title:
        raise UserError("the project title is empty")
    if not TITLE_MIN_LENGTH <= len(title) <= TITLE_MAX_LENGTH:
        raise UserError(
            f"Label Studio project titles have {TITLE_MIN_LENGTH} to {TITLE_MAX_LENGTH} characters; {title!r} has {len(title)}"
        )
    return title


def create_personal_access_token(client: LabelStudio) -> str:
    """A personal access token for the user the client acts as (the embedded admin's, on first start)."""
    with api_errors(base_url(client), "creating a personal access token"):
        return client.tokens.create().token


def get_project(client: LabelStudio, name: str):
    """The project titled ``name`` (as Label Studio stores it), or None; of twins, the first created."""
    matches = _twins(client, project_title(name))
    return min(matches, key=lambda project: project.id) if matches else None


def _twins(client: LabelStudio, title: str) -> list:
    """The projects titled exactly ``title``."""
    with api_errors(base_url(client), f"looking up project {title!r}"):
        return [p for p in client.projects.list(title=title) if p.title == title]


def _first_twin(client: LabelStudio, title: str, own_id: int):
    """The first created project titled ``title``, once the listing shows the one just created (``own_id``). Once,
    under load, two pushes each kept their own twin: a look that does not yet see one's own project may also miss
    a twin created just before it, so the look is repeated until it does (or ``TWIN_VISIBILITY_WAIT`` passes)."""
    deadline = time.monotonic() + TWIN_VISIBILITY_WAIT
    while True:
        matches = _twins(client, title)
        if any(p.id == own_id for p in matches) or time.monotonic() > deadline:
            return min(matches, key=lambda project: project.id) if matches else None
        time.sleep(TWIN_VISIBILITY_POLL)


def _remove_empty_twins(client: LabelStudio, title: str, first_id: int, own_id: int) -> None:
    """Delete the empty twins created after the first and up to this push's own: its own, and any that a request
    the SDK sent again left behind (under load, a create whose answer was lost lands twice). A twin that another
    push deletes first is gone either way."""
    from label_studio_sdk.core.api_error import ApiError

    debris = [p.id for p in _twins(client, title) if first_id < p.id <= own_id and not p.task_number]
    for project_id in sorted({*debris, own_id}):
        with api_errors(base_url(client), f"removing a twin of project {title!r}"):
            try:
                client.projects.delete(project_id)
            except ApiError as exc:
                if exc.status_code != 404:
                    raise


def create_project(client: LabelStudio, name: str, model_version: str, target: Target | None = None):
    """A project titled ``name`` with the quotes label config, its predictions shown to annotators, and the
    stance target named in its description and instructions (shown before labelling).

    Two pushes that found no project may each create one: each then keeps the first created and deletes its own
    if that is a later twin (it holds nothing yet), so both import into the same project."""
    title = project_title(name)
    described = {} if target is None else {
        "description": f"Stance toward: {target.name}. {target.description}".strip(),
        "expert_instruction": target_instructions(target),
        "show_instruction": True,
    }  # fmt: skip
    with api_errors(base_url(client), f"creating project {title!r}"):
        project = client.projects.create(
            title=title,
            label_config=label_config(),
            model_version=model_version,
            show_collab_predictions=True,
            **described,
        )
    first = _first_twin(client, title, project.id)
    if first is not None and first.id != project.id:
        _remove_empty_twins(client, title, first.id, project.id)
        project = first
    _ensure_review_view(client, project.id, title)
    return project


def _ensure_review_view(client: LabelStudio, project_id: int, title: str) -> None:
    """The review tab, unless the project has it: the push that kept a twin made by a resent request is the only
    one that can add it there, and a resent request must not add it twice."""
    with api_errors(base_url(client), f"setting up project {title!r}"):
        views = client.views.list(project=project_id)
        if not any(_view_data(view).get("title") == REVIEW_VIEW["title"] for view in views):
            client.views.create(project=project_id, data=REVIEW_VIEW, request_options={"max_retries": 0})


def _view_data(view) -> dict[str, Any]:
    data = view.data or {}
    return data if isinstance(data, dict) else data.dict()


def target_instructions(target: Target, per_label: int = EXAMPLE_CLAIMS) -> str:
    """The annotators' instructions: what the stance is toward, with a few example claims for each label."""
    lines = [f"<h3>Stance toward: {html.escape(target.name)}</h3>", f"<p>{html.escape(target.description)}</p>"]
    for label in STANCE_LABELS:
        claims = [*target.statements.get(label, ()), *target.examples.get(label, ())][:per_label]
        items = "".join(f"<li>{html.escape(claim)}</li>" for claim in claims)
        lines.append(f"<p><b>{label}</b>, for example:</p><ul>{items}</ul>")
    return "\n".join(lines)


@dataclass
class ProjectContents:
    """What a push needs to know of a project's tasks, read in one pass."""

    hashes: set[str] = field(default_factory=set)  # content_hash of every task
    annotated: list[Document] = field(default_factory=list)  # corrected tasks, with their annotators' quotes
    last_task_id: int = 0  # tasks imported from now on have higher ids
    newest_versions: list[str] = field(default_factory=list)  # model versions of the newest task's predictions


def _model_version(prediction: Any) -> str | None:
    return prediction.get("model_version") if isinstance(prediction, dict) else prediction.model_version


def project_documents(client: LabelStudio, project_id: int) -> ProjectContents:
    """Every task's ``content_hash``, and each annotated task as a document with the quotes of its latest submitted
    annotation (what annotators said of who says what); read a page of tasks at a time."""
    contents = ProjectContents()
    annotated = contents.annotated
    with api_errors(base_url(client), "listing existing tasks"):
        for task in client.tasks.list(project=project_id, fields="all", page_size=TASK_PAGE_SIZE):
            data = task.data or {}
            if data.get(HASH_KEY):
                contents.hashes.add(data[HASH_KEY])
            if task.id > contents.last_task_id:
                contents.last_task_id = task.id
                contents.newest_versions = [v for v in map(_model_version, task.predictions or []) if v]
            submitted = [
                a
                for a in task.annotations or []
                if isinstance(a, dict) and not a.get("was_cancelled") and a.get("result")
            ]
            if submitted and isinstance(data.get(TEXT_TAG), str):
                latest = max(submitted, key=lambda a: a.get("id") or 0)
                text = data[TEXT_TAG]
                annotated.append(
                    Document(
                        str(data.get(DOC_ID_KEY) or task.id), text, quotes=result_to_quotes(text, latest["result"])
                    )
                )
    return contents


def _tasks_after(client: LabelStudio, project_id: int, last_task_id: int) -> Iterator[Any]:
    """The project's tasks with ids above ``last_task_id`` (id, data and annotation count), a page at a time."""
    newer = {"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": last_task_id}
    query = json.dumps({"filters": {"conjunction": "and", "items": [newer]}})
    yield from client.tasks.list(
        project=project_id, query=query, include="id,data,total_annotations", page_size=TASK_PAGE_SIZE
    )


def _answer_lost(exc: Exception) -> bool:
    """Whether a request may have been carried out although its answer never came (so repeating it may repeat it)."""
    from label_studio_sdk.core.api_error import ApiError

    if isinstance(exc, ApiError):
        return exc.status_code is not None and exc.status_code >= 500
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return False  # no connection, so nothing was sent
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def import_tasks(client: LabelStudio, project_id: int, tasks: list[dict[str, Any]], last_task_id: int = 0) -> int:
    """Import tasks with their predictions; the number created.

    An import is not repeated blindly: when its answer is lost (a timeout, a dropped connection, a gateway error),
    Label Studio may have saved the tasks, so the tasks above ``last_task_id`` are read back and only the documents
    whose content hash did not arrive are sent again. Tasks without a hash are never sent twice."""
    url = base_url(client)
    created = 0
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            response = client.projects.import_tasks(id=project_id, request=tasks, request_options={"max_retries": 0})
        except Exception as exc:
            unsure = _answer_lost(exc) and all(task["data"].get(HASH_KEY) for task in tasks)
            if not unsure or attempt == IMPORT_ATTEMPTS:
                with api_errors(url, f"importing {len(tasks)} tasks"):
                    raise
            logger.warning("the answer to an import was lost (%s); checking what arrived", exc.__class__.__name__)
            time.sleep(attempt)
            with api_errors(url, "checking which tasks arrived"):
                arrived = {(task.data or {}).get(HASH_KEY) for task in _tasks_after(client, project_id, last_task_id)}
            missing = [task for task in tasks if task["data"][HASH_KEY] not in arrived]
            created += len(tasks) - len(missing)
            if not missing:
                return created
            tasks = missing
            continue
        return created + (response.task_count if response.task_count is not None else len(tasks))
    raise AssertionError("unreachable: the last attempt returns or raises")


def remove_duplicates(client: LabelStudio, project_id: int, last_task_id: int) -> int:
    """Delete the tasks above ``last_task_id`` that repeat a document (by content hash), keeping the one with
    annotations, else the oldest; the number deleted. Pushes from several machines converge on one task each."""
    url = base_url(client)
    with api_errors(url, "looking for duplicate tasks"):
        by_hash: dict[str, list[Any]] = {}
        for task in _tasks_after(client, project_id, last_task_id):
            if (digest := (task.data or {}).get(HASH_KEY)) is not None:
                by_hash.setdefault(digest, []).append(task)
    duplicates = []
    for copies in by_hash.values():
        keep = min(copies, key=lambda task: (not task.total_annotations, task.id))
        duplicates.extend(task.id for task in copies if task is not keep)
    if duplicates:
        from label_studio_sdk.actions.types import PrepareParamsRequestRequestSelectedItemsIncluded as Selected

        # One Data Manager action for all of them; ids another push deleted first are passed over.
        with api_errors(url, f"deleting {len(duplicates)} duplicate tasks"):
            client.actions.create(
                id="delete_tasks", project=project_id, selected_items=Selected(all_=False, included=duplicates)
            )
    return len(duplicates)


def show_predictions(client: LabelStudio, project, model_version: str, accepted: Collection[str] = ()) -> None:
    """Point the project at ``model_version`` so annotators start from those predictions, unless it already shows
    that version or one of ``accepted``."""
    with api_errors(base_url(client), "reading the project's model version"):
        project = client.projects.get(project.id)  # as it is now, not as first read
    if project.model_version in {model_version, *accepted} and project.show_collab_predictions:
        return
    # Label Studio accepts a model version only once predictions with it exist in the project.
    with api_errors(base_url(client), "setting the project's model version"):
        client.projects.update(id=project.id, model_version=model_version, show_collab_predictions=True)


def export_tasks(
    client: LabelStudio, project_id: int, timeout: float = REQUEST_TIMEOUT, snapshot_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Every task of the project in Label Studio's full JSON export: annotations with region ids and
    relations, and predictions as full results (the quick export gives only their ids).

    Label Studio keeps each export's file even when the export is deleted through its API; ``snapshot_dir``, the
    server's ``media/export`` folder when it is on this machine, is where this export's file is then removed."""
    exports = client.projects.exports
    with api_errors(base_url(client), "exporting tasks"):
        # Full predictions, and annotators as users (with their email), not only ids.
        options = {"predictions": {"only_id": False}, "annotations__completed_by": {"only_id": False}}
        snapshot = exports.create(project_id, serialization_options=options)
        try:
            deadline = time.monotonic() + timeout
            while snapshot.status not in ("completed", "failed"):
                if time.monotonic() > deadline:
                    raise UserError(
                        f"Label Studio at {base_url(client)} did not finish the export within {timeout:.0f} s"
                    )
                time.sleep(0.5)
                snapshot = exports.get(project_id, snapshot.id)
            if snapshot.status == "failed":
                raise UserError(f"Label Studio at {base_url(client)} failed to export project {project_id}")
            return json.loads(b"".join(exports.download(project_id, snapshot.id, export_type="JSON")))
        finally:
            # Snapshots are full copies of the project in Label Studio's data folder; this one has served its purpose.
            exports.delete(project_id, snapshot.id)
            if snapshot_dir is not None and snapshot.md5:
                for copy in (snapshot_dir / str(project_id)).glob(f"project-{project_id}-at-*-{snapshot.md5[:8]}.*"):
                    copy.unlink(missing_ok=True)


# --- reading a project straight from the embedded server's database --------------------------------------
# Label Studio's export serialises a large project slowly (minutes for 10,000 annotated tasks): the embedded
# server's own database gives the same records in seconds. The columns are those of the Label Studio release
# this package pins; tests/test_export.py checks the records against the API's export.

TASK_COLUMNS = (
    "id data meta created_at updated_at allow_skip inner_id total_annotations cancelled_annotations "
    "total_predictions comment_count unresolved_comment_count last_comment_updated_at project_id updated_by_id"
).split()
ANNOTATION_COLUMNS = (
    "id result was_cancelled ground_truth created_at updated_at draft_created_at lead_time prediction result_count "
    "unique_id import_id last_action bulk_created task_id project_id updated_by_id parent_prediction_id "
    "parent_annotation_id last_created_by_id"
).split()
PREDICTION_COLUMNS = (
    "id result model_version score cluster neighbors mislabeling created_at updated_at model_id model_run_id "
    "task_id project_id"
).split()
USER_COLUMNS = ("id", "email", "first_name", "last_name")
JSON_COLUMNS = {"data", "meta", "result", "prediction", "neighbors"}
BOOLEAN_COLUMNS = {"allow_skip", "was_cancelled", "ground_truth", "bulk_created"}
FOREIGN_KEYS = set(
    "task_id project_id updated_by_id parent_prediction_id parent_annotation_id last_created_by_id model_id "
    "model_run_id".split()
)
TIME_COLUMNS = {"created_at", "updated_at", "draft_created_at", "last_comment_updated_at"}


def _exported_value(column: str, value: Any) -> Any:
    """A database value as Label Studio's JSON export writes it (SQLite gives JSON as text, booleans as 0/1 and
    times as naive UTC text; PostgreSQL gives objects)."""
    if value is None:
        return None
    if column in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    if column in BOOLEAN_COLUMNS:
        return bool(value)
    if column in TIME_COLUMNS:
        if isinstance(value, str):
            return value.replace(" ", "T") + "Z"
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if column == "unique_id":
        return str(uuid.UUID(str(value)))
    return value


def _exported_row(columns: list[str], row: Iterable[Any]) -> dict[str, Any]:
    # "task_id" -> "task": the export names a foreign key by its field
    return {
        column.removesuffix("_id") if column in FOREIGN_KEYS else column: _exported_value(column, value)
        for column, value in zip(columns, row, strict=True)
    }


def export_from_database(connection: Any, project_id: int, placeholder: str = "?") -> Iterator[dict[str, Any]]:
    """Every task of the project, in id order, as Label Studio's full JSON export has it (predictions in full,
    annotators as users), read through ``connection`` (DB-API: sqlite3 or psycopg2, whose ``placeholder`` is
    "%s") in one transaction. Only ``created_ago``, a prediction's age in words, is left out.

    The rows are fetched at once, so the database is free again before the first task is decoded; each task is
    decoded only when the caller asks for it, so a large project never lives in memory as objects all at once."""

    def rows(sql: str) -> list[tuple]:
        cursor = connection.cursor()
        cursor.execute(sql.replace("?", placeholder), (project_id,))
        return cursor.fetchall()

    def by_task(found: list[tuple], task_column: int) -> dict[int, list[tuple]]:
        grouped: dict[int, list[tuple]] = {}
        for row in found:
            grouped.setdefault(row[task_column], []).append(row)
        return grouped

    in_project = "task_id IN (SELECT id FROM task WHERE project_id = ?)"
    task_rows = rows(f"SELECT {', '.join(TASK_COLUMNS)} FROM task WHERE project_id = ? ORDER BY id")
    annotation_sql = (
        f"SELECT {', '.join(f'a.{c}' for c in ANNOTATION_COLUMNS)}, {', '.join(f'u.{c}' for c in USER_COLUMNS)} "
        f"FROM task_completion a LEFT JOIN htx_user u ON u.id = a.completed_by_id WHERE a.{in_project} ORDER BY a.id"
    )
    annotations = by_task(rows(annotation_sql), ANNOTATION_COLUMNS.index("task_id"))
    prediction_sql = f"SELECT {', '.join(PREDICTION_COLUMNS)} FROM prediction WHERE {in_project} ORDER BY id"
    predictions = by_task(rows(prediction_sql), PREDICTION_COLUMNS.index("task_id"))
    drafts = by_task(rows(f"SELECT id, task_id FROM tasks_annotationdraft WHERE {in_project} ORDER BY id"), 1)
    authors = by_task(rows(f"SELECT user_id, task_id FROM task_comment_authors WHERE {in_project} ORDER BY id"), 1)

    def annotation_of(row: tuple) -> dict[str, Any]:
        annotation = _exported_row(ANNOTATION_COLUMNS, row[: len(ANNOTATION_COLUMNS)])
        user = dict(zip(USER_COLUMNS, row[len(ANNOTATION_COLUMNS) :], strict=True))
        return {"id": annotation["id"], "completed_by": user if user["id"] is not None else None, **annotation}

    def decoded() -> Iterator[dict[str, Any]]:
        for row in task_rows:
            task = _exported_row(TASK_COLUMNS, row)
            yield {
                "id": task["id"],
                "annotations": [annotation_of(found) for found in annotations.pop(task["id"], [])],
                "drafts": [draft for draft, _ in drafts.pop(task["id"], [])],
                "predictions": [_exported_row(PREDICTION_COLUMNS, found) for found in predictions.pop(task["id"], [])],
                **task,
                "comment_authors": [user for user, _ in authors.pop(task["id"], [])],
            }

    return decoded()


@dataclass
class PushReport:
    created: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # ids of documents that could not be pre-labelled or validated
    duplicates_removed: int = 0  # tasks that another push imported at the same time as this one


def _prelabel_isolated(prelabeller: Prelabeller, batch: list[Document], report: PushReport) -> list[Document]:
    """Pre-label a batch; when it fails, retry its documents one by one so that a bad document costs only itself."""
    try:
        return list(prelabeller.prelabel(batch))
    except Exception as exc:  # noqa: BLE001 - any failure of one document is reported, the others go on
        if len(batch) > 1:
            return [labelled for document in batch for labelled in _prelabel_isolated(prelabeller, [document], report)]
        logger.warning("%s: pre-labelling failed: %s: %s", batch[0].id, exc.__class__.__name__, exc)
        report.failed.append(batch[0].id)
        return []


def push_documents(
    client: LabelStudio,
    project_name: str,
    documents: Iterable[Document],
    load_prelabeller: Callable[[], Prelabeller],
    chunk_size: int = PUSH_CHUNK,
) -> PushReport:
    """Pre-label documents not yet in the project (by content hash) and import them with their predictions,
    ``chunk_size`` documents per request. The project is created on first push; the model is loaded only when
    there is something new to pre-label.

    Chunks bound memory and request size, and make a push resumable: what was imported before a crash or a killed
    server is skipped by the rerun, which imports the rest (a chunk is one import request, created whole or not at
    all). The pre-labeller's speaker memory spans the chunks, so later chunks gain from the earlier ones."""
    # Two pushes to one project from this machine take turns: each reads what the project holds only after the
    # other has imported, so neither imports a document twice.
    lock = hashlib.sha256(f"{base_url(client)}\n{project_name}".encode()).hexdigest()[:16]
    with exclusive(f"push-{lock}"):
        return _push(client, project_name, documents, load_prelabeller, chunk_size)


def _push(
    client: LabelStudio,
    project_name: str,
    documents: Iterable[Document],
    load_prelabeller: Callable[[], Prelabeller],
    chunk_size: int,
) -> PushReport:
    report = PushReport()
    project = get_project(client, project_name)
    contents = ProjectContents() if project is None else project_documents(client, project.id)
    known = contents.hashes
    prelabeller = None
    interface = LabelInterface(label_config())
    for chunk in batched(documents, chunk_size):
        fresh = []
        for document in chunk:
            digest = content_hash(document.text)
            if digest in known:
                report.skipped += 1
            else:
                known.add(digest)
                fresh.append(document)
        if not fresh:
            continue
        if prelabeller is None:
            prelabeller = load_prelabeller()
            # The project's corrected tasks say which side their speakers take: that evidence counts for the new ones.
            prelabeller.remember(contents.annotated)
        tasks = []
        for document in _prelabel_isolated(prelabeller, fresh, report):
            task = document_to_task(document)
            errors = interface.validate_prediction(task["predictions"][0], return_errors=True)
            if errors:
                logger.warning(
                    "%s: prediction does not fit the label config: %s", document.id, "; ".join(map(str, errors))
                )
                report.failed.append(document.id)
            else:
                tasks.append(task)
        if tasks:
            project = project or create_project(client, project_name, prelabeller.model_version, prelabeller.target)
            report.created += import_tasks(client, project.id, tasks, contents.last_task_id)
    if project is None:
        return report
    if report.created:
        report.duplicates_removed = remove_duplicates(client, project.id, contents.last_task_id)
        show_predictions(client, project, prelabeller.model_version)
    elif contents.newest_versions:
        # A push stopped before it pointed the project at its predictions: the rerun does it (a version that
        # another tool, such as the ML backend, predicted on the newest task is left as it is).
        show_predictions(client, project, contents.newest_versions[-1], accepted=contents.newest_versions)
    return report


def check_label_config(schema: str) -> None:
    """Raise ValueError naming what is missing when a project's labelling config cannot show our predictions."""
    try:
        controls = {control.name: control for control in LabelInterface(schema).controls}
    except Exception as exc:  # noqa: BLE001 - the SDK raises its own exception kinds on broken XML
        raise ValueError(f"the labelling config cannot be read: {first_line(exc)}") from None
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
            or TEXT_TAG not in (control.to_name or ())
            or not values <= set(control.labels or ())
        ):
            raise ValueError(
                f"the labelling config needs a {tag} named '{name}' on Text '{TEXT_TAG}' with {sorted(values) or 'its values'}; use label_config/quotes.xml"
            )


# --- ML backends: connecting one to a project, and the states Label Studio reports ---------------------------


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


def connect_backend(
    client,
    project,
    backend_url: str,
    title: str,
    basic_auth: tuple[str, str] | None = None,
    webhook_secret: str | None = None,
):
    """Connect (or reconnect) the backend at ``backend_url`` to ``project`` with interactive pre-annotation on.

    Label Studio checks /health and /setup before it saves the connection, and adds the /webhook itself, but
    sends that webhook without the connection's basic auth: its headers get the credentials and the webhook
    secret here.
    """
    from label_studio_sdk.core.api_error import ApiError

    backend_url = backend_url.rstrip("/")
    # Without basic auth of the backend's own, the connection carries the webhook secret, for the Train button.
    connection_auth = basic_auth or ((WEBHOOK_SECRET_USER, webhook_secret) if webhook_secret else None)
    auth = (
        {"auth_method": "BASIC_AUTH", "basic_auth_user": connection_auth[0], "basic_auth_pass": connection_auth[1]}
        if connection_auth
        else {"auth_method": "NONE"}
    )
    webhook_headers = {}
    if basic_auth:
        webhook_headers["Authorization"] = "Basic " + base64.b64encode(":".join(basic_auth).encode()).decode()
    if webhook_secret:
        webhook_headers[WEBHOOK_SECRET_HEADER] = webhook_secret
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
