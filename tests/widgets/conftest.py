"""Fixtures for the widget tests: a loopback HTTP server and real Chromium via Playwright.

The browser may only talk to 127.0.0.1; every other request is aborted and recorded, so
a test can assert that a page never reached for a CDN.
"""

from __future__ import annotations

import functools
import http.server
import pathlib
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest

from sabaq_widgets.assets import vendor_dir

REPO = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class StaticSite:
    """A directory served on 127.0.0.1, with the vendored scripts under ``/vendor/``."""

    root: pathlib.Path
    url: str

    def page(self, name: str, body: str, *, lang: str = "en") -> str:
        """Write an HTML page around ``body`` and return its URL."""
        dirn = "rtl" if lang == "ur" else "ltr"
        text = (
            f'<!doctype html><html lang="{lang}" dir="{dirn}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{name}</title></head><body style=\"margin:16px\">{body}</body></html>"
        )
        (self.root / name).write_text(text, "utf-8")
        return f"{self.url}/{name}"


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(vendor_dir(), root / "vendor")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StaticSite(root, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Guarded:
    """A page whose non-loopback requests are blocked, with what it tried and what it logged."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str, locator: Any = None) -> pathlib.Path:
        """Save a screenshot under artifacts/screenshots/ (git-ignored)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path


def _is_loopback(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "file"):
        return True
    return parsed.hostname in ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def guarded(browser: Any) -> Iterator[Guarded]:
    context = browser.new_context(viewport={"width": 900, "height": 900})
    page = context.new_page()
    result = Guarded(page)

    def route(route: Any) -> None:
        if _is_loopback(route.request.url):
            route.continue_()
        else:
            result.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: result.errors.append(str(exc)))
    page.on("console", lambda msg: result.errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(15_000)
    try:
        yield result
    finally:
        context.close()
