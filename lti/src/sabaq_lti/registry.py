"""Platform registrations: which issuers, clients and deployments the tool serves.

``register`` is the only writer; presets fill in the endpoints Moodle and Canvas publish, so an
administrator types only what the LMS showed them (its client id and deployment id).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction

from .errors import NotRegistered
from .models import Deployment, Platform


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    auth_login_url: str
    auth_token_url: str
    keyset_url: str
    service_hosts: tuple[str, ...] = ()


def preset(name: str, site: str = "") -> Endpoints:
    """The endpoints of a Moodle site (``site`` is its URL) or of Canvas (``site`` is empty for
    Instructure's cloud, else a self-hosted Canvas's URL)."""
    site = site.rstrip("/")
    if name == "moodle":
        if not site:
            raise ValueError("a Moodle preset needs the site's URL (--site https://moodle.example.edu)")
        return Endpoints(site, f"{site}/mod/lti/auth.php", f"{site}/mod/lti/token.php", f"{site}/mod/lti/certs.php")
    if name == "canvas":
        if site:
            return Endpoints(site, f"{site}/api/lti/authorize_redirect", f"{site}/login/oauth2/token",
                             f"{site}/api/lti/security/jwks")
        return Endpoints("https://canvas.instructure.com", "https://sso.canvaslms.com/api/lti/authorize_redirect",
                         "https://sso.canvaslms.com/login/oauth2/token",
                         "https://sso.canvaslms.com/api/lti/security/jwks",
                         (".instructure.com",))  # each school's services are on its own subdomain
    raise ValueError(f"no preset {name!r}: use moodle or canvas, or give every endpoint")


def _checked_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL, not {url!r}")
    return url


LOOPBACK = ("127.0.0.1", "::1", "localhost")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def service_url_allowed(platform: Platform, url: object) -> bool:
    """Whether ``url`` may be one of ``platform``'s services (line items, scores, the Deep Linking
    return): HTTPS (plain HTTP only on loopback), on the host and port of one of its registered
    URLs or on one of its ``service_hosts``. The tool's bearer token and forms go nowhere else."""
    origin = _origin(url) if isinstance(url, str) else None
    if origin is None or (origin[0] == "http" and origin[1] not in LOOPBACK):
        return False
    known = {_origin(u) for u in (platform.issuer, platform.auth_login_url, platform.auth_token_url,
                                  platform.keyset_url)}
    if origin in known:
        return True
    scheme, host, port = origin
    for allowed in platform.service_hosts or []:
        name, _, given_port = str(allowed).lower().partition(":")
        if (given_port and str(port) != given_port) or (not given_port and port != _DEFAULT_PORTS[scheme]):
            continue
        if host == name or (name.startswith(".") and host.endswith(name)):
            return True
    return False


def register(endpoints: Endpoints, client_id: str, deployment_ids: list[str], name: str = "",
             service_hosts: list[str] | None = None) -> Platform:
    """Register (or update) a platform's client and add its deployments."""
    if not client_id.strip():
        raise ValueError("the client id is empty: copy it from the LMS's tool registration")
    for field in ("auth_login_url", "auth_token_url", "keyset_url"):
        _checked_url(field, getattr(endpoints, field))
    if not endpoints.issuer.strip():
        raise ValueError("the issuer is empty")
    with transaction.atomic():
        platform, _created = Platform.objects.update_or_create(
            issuer=endpoints.issuer, client_id=client_id,
            defaults={"auth_login_url": endpoints.auth_login_url, "auth_token_url": endpoints.auth_token_url,
                      "keyset_url": endpoints.keyset_url, "name": name,
                      "service_hosts": sorted(set(service_hosts or endpoints.service_hosts))})
        for deployment_id in deployment_ids:
            Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id)
    assert isinstance(platform, Platform)
    return platform


def platform_for(issuer: str, client_id: str | None) -> Platform:
    """The registered platform of ``issuer`` (and ``client_id``, needed when the issuer has several)."""
    found = Platform.objects.filter(issuer=issuer)
    if client_id:
        found = found.filter(client_id=client_id)
    platforms = list(found[:2])
    if not platforms:
        raise NotRegistered("unknown_platform", f"The issuer {issuer!r} with client id {client_id!r} is not "
                                                "registered with this tool: run `sabaq-lti register`.")
    if len(platforms) > 1:
        raise NotRegistered("ambiguous_platform", f"The issuer {issuer!r} has several clients here: the login "
                                                  "request must name its client_id.")
    found_one: Platform = platforms[0]
    return found_one


def check_deployment(platform: Platform, deployment_id: object) -> str:
    if not isinstance(deployment_id, str) or not Deployment.objects.filter(
            platform=platform, deployment_id=deployment_id).exists():
        raise NotRegistered("unknown_deployment", f"The deployment {deployment_id!r} of {platform.issuer!r} is not "
                                                  "registered: run `sabaq-lti register ... --deployment-id`.")
    return deployment_id
