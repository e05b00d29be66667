"""Fixtures shared by every part's tests.

One Playwright driver and one Chromium serve the whole session: Playwright's sync
API cannot run two drivers in one thread at once, and one browser start is cheaper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every ``sabaq`` the tests start keeps its prepared assignments in the session's own folder."""
    previous = os.environ.get("SABAQ_CACHE_DIR")
    os.environ["SABAQ_CACHE_DIR"] = str(tmp_path_factory.mktemp("sabaq-cache"))
    yield
    if previous is None:
        os.environ.pop("SABAQ_CACHE_DIR", None)
    else:
        os.environ["SABAQ_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven through Playwright, each context with a fresh profile."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium'; bash .ci/setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def served_folder(tmp_path: Any) -> Iterator[tuple[Any, str]]:
    """A folder served by a plain HTTP server on loopback, as any web host serves a catalog:
    (the folder, its URL). The server is stopped by this fixture."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
