"""Playwright harness: Debian's /usr/bin/chromium against pytest-django's live server.

Never `playwright install`: the browser is the system one. Tests here are skipped with a
one-line reason when Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# The sync Playwright API runs an event loop in this thread; Django's async guard would
# otherwise refuse the ORM calls the tests make between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright for Python is not installed"
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="da-DK", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the current page and return its violations."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def log_in(page: Any, email: str, password: str, totp_secret: str | None = None) -> None:
    """Log in through the real allauth pages, answering the TOTP step when there is one."""
    page.goto("/konto/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    if totp_secret:
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        page.wait_for_url("**/konto/2fa/authenticate/**")
        # A code typed in the last moments of its 30-second window may be checked in the next
        # one: wait for a fresh window rather than fail now and then.
        left = 30 - time.time() % 30
        if left < 4:
            time.sleep(left + 0.5)
        code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // 30))
        page.fill("input[name=code]", code)
        page.locator("main form button[type=submit]").first.click()
    # Wait until the login has really landed (the session cookie is set): a goto() while the
    # POST is still under way would cancel it and leave the page anonymous.
    page.wait_for_url(
        lambda url: "/konto/login/" not in url and "/konto/2fa/authenticate/" not in url
    )
    page.wait_for_load_state()
