"""What an LMS administrator enters to add the tool, for Moodle and for Canvas."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization

from . import keys
from . import messages as m
from .config import tool_urls

TITLE = "Sabaq notebooks"
DESCRIPTION = "Graded, interactive Jupyter notebook units, graded as nbgrader grades them."


def public_pem() -> str:
    key = keys.signing_key()
    private = serialization.load_pem_private_key(key.private_pem.encode("ascii"), password=None)
    return private.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def canvas_developer_key() -> dict[str, Any]:
    """Canvas's LTI developer key, as its "Paste JSON" method takes it."""
    urls = tool_urls()
    picker = {"message_type": "LtiDeepLinkingRequest", "target_link_uri": urls.deep_link}
    return {
        "title": TITLE, "description": DESCRIPTION, "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch, "public_jwk_url": urls.jwks, "scopes": list(m.AGS_SCOPES),
        "extensions": [{"platform": "canvas.instructure.com", "privacy_level": "public", "settings": {
            "placements": [{"placement": "assignment_selection", **picker},
                           {"placement": "link_selection", **picker}]}}],
        "custom_fields": {},
    }


def as_json() -> dict[str, Any]:
    urls = tool_urls()
    return {"login_url": urls.login, "launch_url": urls.launch, "redirect_uris": [urls.launch],
            "deep_linking_url": urls.deep_link, "jwks_url": urls.jwks, "kid": keys.signing_key().kid,
            "public_key_pem": public_pem(), "canvas": canvas_developer_key()}


def as_text(lms: str) -> str:
    import json

    urls = tool_urls()
    parts = [f"Sabaq LTI 1.3 tool at {urls.base}",
             f"  Login initiation URL   {urls.login}",
             f"  Redirect URI / launch  {urls.launch}",
             f"  Deep Linking URL       {urls.deep_link}",
             f"  Public keyset (JWKS)   {urls.jwks}",
             f"  Signing key id         {keys.signing_key().kid}", ""]
    if lms in ("moodle", "all"):
        parts += ["Moodle: Site administration > Plugins > Activity modules > External tool > Manage tools >",
                  "configure a tool manually:",
                  f"  Tool name                        {TITLE}",
                  f"  Tool URL                         {urls.launch}",
                  "  LTI version                      LTI 1.3",
                  "  Public key type                  Keyset URL",
                  f"  Public keyset                    {urls.jwks}",
                  f"  Initiate login URL               {urls.login}",
                  f"  Redirection URI(s)               {urls.launch}",
                  "  Supports Deep Linking            yes",
                  f"  Content Selection URL            {urls.deep_link}",
                  "  IMS LTI Assignment and Grade Services: use this service for grade sync and column management",
                  "  Privacy: share launcher's name and email with the tool: always",
                  "Then register the values Moodle shows (Tool configuration details):",
                  "  sabaq-lti register --preset moodle --site <Platform ID> --client-id <Client ID> "
                  "--deployment-id <Deployment ID>", ""]
    if lms in ("canvas", "all"):
        parts += ["Canvas: Admin > Developer Keys > + Developer Key > LTI Key > Method: Paste JSON:",
                  json.dumps(canvas_developer_key(), indent=2),
                  "Turn the key on, add the app by its Client ID (Settings > Apps > + App > By Client ID), then:",
                  "  sabaq-lti register --preset canvas --client-id <Client ID> --deployment-id <Deployment ID>",
                  "  (a self-hosted Canvas: add --site https://canvas.example.edu)", ""]
    parts += ["Public key (for an LMS that takes a key instead of a keyset URL):", public_pem()]
    return "\n".join(parts)
