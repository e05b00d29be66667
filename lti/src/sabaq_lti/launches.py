"""What a verified launch makes: the person, the resource link and its block, the session.

All of it happens in one transaction with the nonce's consumption (``oidc.consume``), so a
launch that is refused (an unknown unit, a learner asking for the content picker) changes
nothing, and an accepted id_token cannot be used again. A session belongs to the browser that
launched it: its key (in the URLs) and that browser's cookie must come together.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from . import messages as m
from .errors import Forbidden, SessionGone, UnitMissing
from .models import LaunchSession, Learner, Platform, ResourceLink, Unit
from .oidc import Launch, consume

BROWSER_COOKIE = "sabaq_lti_browser"


def usage_id_for(platform: Platform, deployment_id: str, context_id: str, resource_link_id: str) -> str:
    digest = hashlib.sha256(f"{platform.id}\n{deployment_id}\n{context_id}\n{resource_link_id}".encode()).hexdigest()
    return f"lti-{digest[:32]}"


def browser_hash(secret: str) -> str:
    """What a session keeps of its browser's cookie."""
    return hashlib.sha256(f"sabaq-lti-browser\n{secret}".encode()).hexdigest()


def _unit_of(custom: dict[str, Any]) -> Unit:
    module, version, item = (custom.get(k) for k in (m.CUSTOM_MODULE, m.CUSTOM_VERSION, m.CUSTOM_ITEM))
    if not isinstance(module, str) or not isinstance(item, str):
        raise UnitMissing("link_without_unit", "This link does not name a Sabaq unit: an instructor adds units "
                                               "through the tool's content picker (Deep Linking).")
    units = Unit.objects.filter(module_id=module, item=item)
    if isinstance(version, str) and version:
        units = units.filter(module_version=version)
    unit = units.order_by("-id").first()
    if unit is None:
        raise UnitMissing("unit_not_installed", f"The unit {item!r} of module {module!r} {version or ''} is not "
                                                "installed in this tool: run `sabaq-lti install`.")
    assert isinstance(unit, Unit)
    return unit


def _learner(platform: Platform, claims: dict[str, Any]) -> Learner:
    name = str(claims.get("name") or claims.get("given_name") or "")[:255]
    email = str(claims.get("email") or "")[:255]
    learner, _made = Learner.objects.get_or_create(platform=platform, sub=claims["sub"],
                                                   defaults={"name": name, "email": email})
    if (learner.name, learner.email) != (name, email) and (name or email):
        Learner.objects.filter(id=learner.id).update(name=name, email=email)
    assert isinstance(learner, Learner)
    return learner


def _object(claims: dict[str, Any], name: str) -> dict[str, Any]:
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def _resource_link(launch: Launch) -> tuple[ResourceLink, bool]:
    claims = launch.claims
    link_claim = claims[m.RESOURCE_LINK]
    context, ags = _object(claims, m.CONTEXT), _object(claims, m.AGS_ENDPOINT)
    context_id = str(context.get("id") or "")[:255]
    found = ResourceLink.objects.filter(platform=launch.platform, deployment_id=launch.deployment_id,
                                        context_id=context_id, resource_link_id=link_claim["id"]
                                        ).select_related("unit").first()
    service = {"lineitem": str(ags.get("lineitem") or ""), "lineitems": str(ags.get("lineitems") or "")}
    if found is not None:
        changed = {k: v for k, v in service.items() if v and getattr(found, k) != v}
        if changed:
            ResourceLink.objects.filter(id=found.id).update(**changed)
            found.refresh_from_db()
        return found, False
    custom = _object(claims, m.CUSTOM)
    link = ResourceLink.objects.create(
        platform=launch.platform, deployment_id=launch.deployment_id, resource_link_id=link_claim["id"],
        context_id=context_id, context_title=str(context.get("title") or "")[:255], unit=_unit_of(custom),
        usage_id=usage_id_for(launch.platform, launch.deployment_id, context_id, link_claim["id"]),
        **service)
    return link, True


def _locale(claims: dict[str, Any]) -> str:
    presentation = claims.get(m.LAUNCH_PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    return str(locale or "")[:35]


def open_session(launch: Launch, browser: str) -> LaunchSession:
    """Record the launch and start its session for the browser whose cookie hashes to ``browser``
    (the launch's nonce used up with it)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _record(launch, browser)
        except IntegrityError:  # the same resource link's first launches at once: the other one made it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record(launch: Launch, browser: str) -> LaunchSession:
    from .runtime import ToolRuntime

    instructor = m.is_instructor(launch.claims.get(m.ROLES, []))
    consume(launch)
    learner = _learner(launch.platform, launch.claims)
    link, made = None, False
    deep_linking = None
    if launch.message_type == m.DEEP_LINKING_REQUEST:
        if not instructor:
            raise Forbidden("not_instructor", "Only instructors add Sabaq units to a course.")
        deep_linking = dict(launch.claims[m.DL_SETTINGS])
    else:
        link, made = _resource_link(launch)
    if made and link is not None:
        ToolRuntime(None).new_block(link.usage_id, link.unit.olx)
    LaunchSession.objects.filter(expires__lt=time.time() - 86400).delete()  # a day past their end
    made_session: LaunchSession = LaunchSession.objects.create(
        key=secrets.token_urlsafe(32), browser=browser, learner=learner, instructor=instructor, link=link,
        deployment_id=launch.deployment_id, locale=_locale(launch.claims), deep_linking=deep_linking,
        expires=time.time() + settings.SABAQ_LTI_SESSION_SECONDS)
    return made_session


def session(key: str, browser_secret: str | None) -> LaunchSession:
    """The live session of ``key``, for the browser whose cookie is ``browser_secret``."""
    found = (LaunchSession.objects.select_related("learner__platform", "link__unit", "link__platform")
             .filter(key=key).first()) if key else None
    if found is None or found.expires < time.time():
        raise SessionGone("session_gone", "This page's session is unknown or has expired: open the unit from "
                                          "the LMS again.")
    assert isinstance(found, LaunchSession)
    if not browser_secret or not secrets.compare_digest(browser_hash(browser_secret), found.browser):
        raise Forbidden("other_browser", "This page belongs to a launch in another browser: open the unit from "
                                         "the LMS in this one.")
    return found
