"""What an annotator sees: the pre-labels of a pushed task in the real Label Studio UI, in headless Chromium.

Screenshots go to ``artifacts/`` at the repository root (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SEEDS_DIR

from annotate import labelstudio
from annotate.data import STANCE_LABELS, Document, Quote, Speaker, Stance
from annotate.documents import iter_documents

pytestmark = [pytest.mark.studio, pytest.mark.browser]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PROJECT = "browser-test"
EMOJI_TEXT = (
    'Ankara 🇹🇷🚀 update: "We will buy more systems," the minister said on Monday. 😀 Critics said it was a mistake.'
)

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "headless Chromium is not installed (apt-get install chromium chromium-driver)", allow_module_level=True
    )
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def emoji_document(model_version: str) -> Document:
    """Quotes after characters outside the BMP: a wrong offset convention shows as shifted highlights."""
    quote, mention, later = "We will buy more systems,", "the minister", "it was a mistake"
    q, m, k = (EMOJI_TEXT.index(part) for part in (quote, mention, later))
    return Document(
        "emoji", EMOJI_TEXT, "emoji.txt",
        [
            Quote(q, q + len(quote), quote, speaker=Speaker(m, m + len(mention), mention, "Defence Minister"), stance=Stance("favor"), score=0.9, id="q1"),
            Quote(k, k + len(later), later, type="indirect", stance=Stance("against"), score=0.8, id="q2"),
        ],
        model_version,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pushed(studio, prelabeller):
    """Seeds pushed with the real pre-labeller, plus one hand-tagged task with emoji; the exported tasks."""
    client = labelstudio.connect(studio.url, studio.pat)
    report = labelstudio.push_documents(client, PROJECT, list(iter_documents([SEEDS_DIR])), lambda: prelabeller)
    assert report.created == 5 and not report.failed
    project = labelstudio.get_project(client, PROJECT)
    labelstudio.import_tasks(
        client, project.id, [labelstudio.document_to_task(emoji_document(prelabeller.model_version))]
    )
    return project.id, labelstudio.export_tasks(client, project.id)


@pytest.fixture(scope="module")
def browser(studio):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1600,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(f"{studio.url}/user/login/")
        driver.find_element(By.NAME, "email").send_keys(studio.username)
        driver.find_element(By.NAME, "password").send_keys(studio.password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 60).until(lambda d: "/user/login" not in d.current_url)
        yield driver
    finally:
        driver.quit()


def open_task(browser, studio, project_id: int, task_id: int) -> list:
    browser.get(f"{studio.url}/projects/{project_id}/data?task={task_id}")
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".htx-highlight"))
    return browser.find_elements(By.CSS_SELECTOR, ".htx-highlight")


def spans(task: dict, label: str) -> list[dict]:
    """Predicted span regions with ``label``, from the exported task."""
    result = task["predictions"][0]["result"]
    return [item for item in result if item.get("from_name") == "label" and item["value"]["labels"] == [label]]


def test_prelabelled_seed_shows_quotes_speakers_and_stance(browser, studio, pushed):
    project_id, tasks = pushed
    seeds = [task for task in tasks if task["data"]["doc_id"] != "emoji"]
    task = max(seeds, key=lambda t: (len(spans(t, "Speaker")), len(spans(t, "Quote"))))
    quotes, speakers = spans(task, "Quote"), spans(task, "Speaker")
    assert quotes and speakers, "the pre-labeller tagged no quote with a speaker in any seed"

    highlights = open_task(browser, studio, project_id, task["id"])
    shown = {squash(h.text) for h in highlights}
    for region in quotes + speakers:
        assert squash(region["value"]["text"]) in shown

    # The said_by arcs are drawn, faintly, so they do not strike through the words they cross.
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".relations-overlay g[id]"))
    overlay = browser.find_element(By.CSS_SELECTOR, ".relations-overlay")
    assert float(overlay.value_of_css_property("opacity")) < 0.5

    # Selecting a quote shows its per-region stance with the predicted choice checked.
    quote = quotes[0]
    predicted = next(
        item["value"]["choices"][0]
        for item in task["predictions"][0]["result"]
        if item.get("id") == quote["id"] and item.get("from_name") == "stance"
    )
    own_class = re.compile(rf"htx-highlight-{re.escape(quote['id'])}-\d+")
    next(h for h in highlights if any(own_class.fullmatch(c) for c in h.get_attribute("class").split())).click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"input[name='{predicted}']"))
    checked = [
        label
        for label in STANCE_LABELS
        if any(i.is_selected() for i in browser.find_elements(By.CSS_SELECTOR, f"input[name='{label}']"))
    ]
    assert checked == [predicted]
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "label-studio-seed-task.png"))


def test_emoji_before_quotes_does_not_shift_highlights(browser, studio, pushed):
    project_id, tasks = pushed
    task = next(task for task in tasks if task["data"]["doc_id"] == "emoji")
    highlights = open_task(browser, studio, project_id, task["id"])
    expected = {squash(region["value"]["text"]) for label in ("Quote", "Speaker") for region in spans(task, label)}
    assert (
        {squash(h.text) for h in highlights}
        == expected
        == {"We will buy more systems,", "the minister", "it was a mistake"}
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "label-studio-emoji-task.png"))
