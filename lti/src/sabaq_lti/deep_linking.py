"""Deep Linking 2.0: the instructor's choice of a unit, sent back to the platform as a link.

The response is a JWT signed by the tool's key (``keys``), addressed to the platform (``aud``
its issuer, ``iss`` the tool's client id), echoing the request's ``data``; its one content
item is an LTI resource link to the tool's launch URL whose custom parameters name the unit
(module, version, notebook), with a line item for a graded unit, so the platform makes the
gradebook column the scores go to.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from . import keys
from . import messages as m
from .config import tool_urls
from .models import LaunchSession, Unit


def content_item(unit: Unit) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "ltiResourceLink", "title": unit.title, "url": tool_urls().launch,
        "text": f"{unit.module_title} ({unit.module_id} {unit.module_version})",
        "custom": {m.CUSTOM_MODULE: unit.module_id, m.CUSTOM_VERSION: unit.module_version, m.CUSTOM_ITEM: unit.item}}
    if unit.graded:
        item["lineItem"] = {"scoreMaximum": unit.max_score or 1.0, "label": unit.title,
                            "resourceId": f"{unit.module_id}:{unit.item}", "tag": "sabaq"}
    return item


def response(session: LaunchSession, units: list[Unit]) -> tuple[str, str]:
    """The signed response JWT for ``units`` (none: the instructor cancelled) and its return URL."""
    settings: dict[str, Any] = dict(session.deep_linking or {})
    platform = session.learner.platform
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.client_id, "aud": platform.issuer, "iat": now, "exp": now + 600,
        "nonce": secrets.token_urlsafe(24), m.MESSAGE_TYPE: m.DEEP_LINKING_RESPONSE, m.VERSION: m.LTI_VERSION,
        m.DEPLOYMENT_ID: session.deployment_id, m.DL_CONTENT_ITEMS: [content_item(u) for u in units]}
    if "data" in settings:
        claims[m.DL_DATA] = settings["data"]
    if units:
        claims[m.DL_MESSAGE] = ", ".join(u.title for u in units)
    return keys.sign(claims), str(settings["deep_link_return_url"])
