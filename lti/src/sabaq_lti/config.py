"""The tool's public URLs, from ``SABAQ_LTI_BASE_URL`` (default ``http://127.0.0.1:$SABAQ_LTI_PORT``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_PORT = 8100


@dataclass(frozen=True)
class ToolUrls:
    """What a platform's administrator types into the LMS."""

    base: str
    login: str
    launch: str
    jwks: str
    deep_link: str


def base_url() -> str:
    given = os.environ.get("SABAQ_LTI_BASE_URL", "").strip()
    if given:
        return given.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('SABAQ_LTI_PORT') or DEFAULT_PORT}"


def tool_urls() -> ToolUrls:
    base = base_url()
    # one redirect URI for every message: the launch tells resource links and deep linking apart
    return ToolUrls(base, f"{base}/lti/login", f"{base}/lti/launch", f"{base}/lti/jwks", f"{base}/lti/launch")
