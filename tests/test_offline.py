"""The embedded Label Studio makes no outbound connection: no error reports or analytics, server or browser."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.studio

OUTBOUND = re.compile(r"sentry-cdn|sentry\.io|googletagmanager|google-analytics|ingest\.")


def test_no_error_reporting_or_analytics_reach_the_browser(studio) -> None:
    with httpx.Client(base_url=studio.url, timeout=60, follow_redirects=True) as browser:
        login = browser.get("/user/login/")
        assert login.status_code == 200 and not OUTBOUND.search(login.text)
        token = browser.cookies["csrftoken"]
        browser.post(
            "/user/login/",
            data={"email": studio.username, "password": studio.password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{studio.url}/user/login/"},
        )
        app = browser.get("/projects/")
        assert "sentry_dsn: null" in app.text, "not logged in, or the front end got an error-report address"
        assert "collect_analytics: false" in app.text
        assert not OUTBOUND.search(app.text)
