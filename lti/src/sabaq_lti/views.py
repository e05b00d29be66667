"""The tool's HTTP views: login, launch, keyset, the unit's page and handlers, the content picker.

Every refusal is an ``LtiError`` answered with its status and message, in HTML for a
browser's page and JSON for a handler; nothing is changed by a refused request. A page's
and its handlers' only credential is the session key in their path (``launches.session``),
and a session reaches only its own resource link's block.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import secrets
from typing import Any

from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from xblock.django.request import django_to_webob_request, webob_to_django_response

from . import content, deep_linking, i18n, keys, launches, oidc
from .config import tool_urls
from .errors import Forbidden, LaunchInvalid, LtiError, SessionGone, UnitMissing
from .models import LaunchSession, ResourceLink, Unit
from .runtime import BLOCK_TYPE, ToolRuntime

log = logging.getLogger(__name__)
CALLBACK_HANDLERS = ("grading_result",)
MAX_FORM_BYTES = 256 * 1024
"""Login, launch and picker forms (an id_token is a few KB)."""
SECURITY_HEADERS = {"Content-Security-Policy": "object-src 'none'; base-uri 'none'",
                    "Cache-Control": "no-store"}


def _secured(response: HttpResponse) -> HttpResponse:
    for name, value in SECURITY_HEADERS.items():
        response[name] = value
    return response


def _texts(language: str) -> dict[str, Any]:
    """What every template gets: its language, direction and translated strings."""
    from sabaq_xblock.i18n import direction

    return {"language": language, "direction": direction(language), "t": i18n.strings(language)}


def _refusal(request: HttpRequest, error: LtiError, *, as_json: bool = False) -> HttpResponse:
    log.info("refused %s %s: %s (%s)", request.method, request.path, error.code, error.message)  # keys redacted
    if as_json:
        return JsonResponse({"error": error.code, "error_description": error.message}, status=error.status)
    language = _language(translation.get_language_from_request(request))
    title, hint = i18n.error_text(type(error).__name__, language)
    response = render(request, "sabaq_lti/error.html", {"error": error, "title": title, "hint": hint,
                                                         **_texts(language)}, status=error.status)
    return _secured(response)


_language = i18n.language_of


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "sabaq_lti/home.html", {"urls": tool_urls()})


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(keys.jwks())
    response["Cache-Control"] = "max-age=300"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    try:
        _small(request)
        params = {k: str(v) for k, v in (request.POST if request.method == "POST" else request.GET).items()}
        started = oidc.login(params)
    except LtiError as error:
        return _refusal(request, error)
    response = HttpResponse(status=302)
    response["Location"] = started.redirect
    _set_cookie(response, oidc.STATE_COOKIE, started.state, int(oidc.STATE_SECONDS))
    return response


def _set_cookie(response: HttpResponse, name: str, value: str, max_age: int) -> None:
    """An HttpOnly cookie under ``/lti/``. In an LMS's frame it is a third party's: SameSite=None
    and Partitioned (CHIPS), so browsers that block third-party cookies still keep it for this
    LMS's page. Over plain HTTP (a laptop), Lax: the LMS and the tool are then one site."""
    secure = tool_urls().base.startswith("https:")
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=secure,
                        samesite="None" if secure else "Lax", path="/lti/")
    if secure:  # Python 3.11's cookies know no Partitioned attribute: it rides on SameSite's
        response.cookies[name]["samesite"] = "None; Partitioned"


def _small(request: HttpRequest) -> None:
    """Login, launch and picker forms are small: refuse a large body before reading it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_FORM_BYTES:
        raise LaunchInvalid("too_large", f"The request is too large (at most {MAX_FORM_BYTES // 1024} KB).")


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    browser = request.COOKIES.get(launches.BROWSER_COOKIE, "")
    if not (43 <= len(browser) <= 64):
        browser = secrets.token_urlsafe(32)  # this browser's first launch (or its cookie is gone)
    try:
        _small(request)
        form = {k: str(v) for k, v in request.POST.items()}
        verified = oidc.verify_launch(form, request.COOKIES.get(oidc.STATE_COOKIE))
        started = launches.open_session(verified, launches.browser_hash(browser))
    except LtiError as error:
        return _refusal(request, error)
    where = f"/lti/s/{started.key}/pick" if started.deep_linking is not None else f"/lti/s/{started.key}/"
    response = HttpResponse(status=303)
    response["Location"] = where
    response.delete_cookie(oidc.STATE_COOKIE, path="/lti/")
    _set_cookie(response, launches.BROWSER_COOKIE, browser, int(django_settings.SABAQ_LTI_SESSION_SECONDS))
    log.info("launch of %s as %s in %s", started.learner_id, "instructor" if started.instructor else "learner",
             started.link.usage_id if started.link else "deep linking")
    return response


def _runtime(session: LaunchSession) -> ToolRuntime:
    return ToolRuntime(str(session.learner_id), instructor=session.instructor, name=session.learner.name,
                       session_key=session.key)


@require_GET
def page(request: HttpRequest, key: str) -> HttpResponse:
    try:
        session = launches.session(key, request.COOKIES.get(launches.BROWSER_COOKIE))
        if session.link is None:
            raise UnitMissing("no_unit", "This session is for adding content, not for a unit.")
        with translation.override(_language(session.locale)):
            block = _runtime(session).get_block(session.link.usage_id)
            frag = block.render("student_view", {})  # wrapped by the runtime: its init function and arguments
            response = render(request, "sabaq_lti/page.html", {
                "title": block.display_name, "frag": frag,
                "handler_prefix": f"/lti/s/{key}/handler/{session.link.usage_id}/",
                "instructor": session.instructor, "link": session.link, **_texts(_language(session.locale))})
    except LtiError as error:
        return _refusal(request, error)
    return _secured(response)


@csrf_exempt
def handler(request: HttpRequest, key: str, usage_id: str, handler_name: str, suffix: str = "") -> HttpResponse:
    """A block handler in the session's own unit (its key is the credential: no cookie, no CSRF)."""
    try:
        session = launches.session(key, request.COOKIES.get(launches.BROWSER_COOKIE))
        if session.link is None or session.link.usage_id != usage_id:
            raise Forbidden("other_unit", "This session may use only the unit it was launched for.")
    except LtiError as error:
        return _refusal(request, error, as_json=True)
    with translation.override(_language(session.locale)):
        block = _runtime(session).get_block(usage_id)
        return _handle(request, block, handler_name, suffix)


def _handle(request: HttpRequest, block: Any, handler_name: str, suffix: str) -> HttpResponse:
    webob_request = django_to_webob_request(request)
    result = block.runtime.handle(block, handler_name, webob_request, suffix)
    response: HttpResponse = webob_to_django_response(result)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def callback(request: HttpRequest, usage_id: str, handler_name: str) -> HttpResponse:
    """The grader's signed callbacks (the block checks the signature); no other handler."""
    if handler_name not in CALLBACK_HANDLERS or not ResourceLink.objects.filter(usage_id=usage_id).exists():
        return JsonResponse({"error": "not_found"}, status=404)
    return _handle(request, ToolRuntime(None).get_block(usage_id), handler_name, "")


STATIC_FILES = ("runtime.js", "autopost.js")


@require_GET
def static_file(request: HttpRequest, name: str) -> HttpResponse:
    """The tool's own scripts."""
    from importlib.resources import files

    if name not in STATIC_FILES:
        return HttpResponse(status=404)
    body = files("sabaq_lti").joinpath("static", "sabaq_lti", name).read_bytes()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "max-age=3600"
    return response


@require_GET
def resource(request: HttpRequest, block_type: str, path: str) -> HttpResponse:
    """The block's static files (its ``public_dir``), as the LMS serves them."""
    from sabaq_xblock.block import NotebookBlock

    if block_type != BLOCK_TYPE:
        return HttpResponse(status=404)
    try:
        stream = NotebookBlock.open_local_resource(path)
    except Exception:  # outside the block's public folder, or absent
        return HttpResponse(status=404)
    with stream:
        body = stream.read()
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = HttpResponse(body, content_type=kind)
    response["Cache-Control"] = "max-age=3600"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def pick(request: HttpRequest, key: str) -> HttpResponse:
    """The content picker of a deep-linking launch (instructors only); its POST answers the
    platform once, with the chosen unit (or none: cancelled)."""
    try:
        _small(request)
        session = launches.session(key, request.COOKIES.get(launches.BROWSER_COOKIE))
        if session.deep_linking is None:
            raise SessionGone("not_picking", "This session is not choosing content (or has chosen already): "
                                             "open the LMS's tool selection again.")
        if not session.instructor:
            raise Forbidden("not_instructor", "Only instructors add Sabaq units to a course.")
        language = _language(session.locale)
        if request.method == "GET":
            texts = _texts(language)
            modules = content.modules()
            for _id, _version, _title, units in modules:
                for listed in units:
                    listed.points_text = texts["t"]["graded_points"].format(points=f"{listed.max_score:g}")
            return _secured(render(request, "sabaq_lti/pick.html", {"modules": modules, "key": key, **texts}))
        chosen: list[Unit] = []
        if request.POST.get("unit"):
            given = str(request.POST["unit"])
            unit = Unit.objects.filter(id=int(given)).first() if re.fullmatch(r"[0-9]{1,18}", given) else None
            if unit is None:
                raise UnitMissing("unit_not_installed", "That unit is not installed in this tool.")
            chosen = [unit]
        if LaunchSession.objects.filter(id=session.id, deep_linking__isnull=False).update(deep_linking=None) != 1:
            raise SessionGone("not_picking", "This choice was already sent to the LMS.")
        token, return_url = deep_linking.response(session, chosen)
    except LtiError as error:
        return _refusal(request, error)
    titles = ", ".join(unit.title for unit in chosen)
    response = render(request, "sabaq_lti/autopost.html", {
        "action": return_url, "jwt": token, "units": chosen, **_texts(language),
        "message": i18n.strings(language)["adding"].format(title=titles) if chosen else ""})
    return _secured(response)
