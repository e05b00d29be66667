"""Staff sign-in for the demo: a workbench user named ``staff*`` must prove it.

The workbench knows its user only from the ``?student=`` query parameter, so without this
anyone could open a block's staff and Studio views (the instructor notebook, hidden tests,
model answers) by choosing a staff name. When ``SABAQ_DEMO_STAFF_TOKEN`` is set (the demo
always sets it, to a fresh random token it prints), a request acting as a staff user is
refused with 403 unless its session signed in at ``/staff/login/`` with that token. Learners
need nothing. Inside the LMS none of this exists: staff are the platform's staff.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseRedirect

from .devservices import is_staff_name

SESSION_KEY = "sabaq_demo_staff"
TOKEN_ENV = "SABAQ_DEMO_STAFF_TOKEN"


def _token() -> str:
    return os.environ.get(TOKEN_ENV, "")


def signed_in(request: HttpRequest) -> bool:
    """Whether this request may act as staff: no token configured, or a signed-in session."""
    return not _token() or request.session.get(SESSION_KEY) is True


class StaffSignInMiddleware:
    """Refuses any request that names a staff user (``?student=staff...``) without sign-in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        student = request.GET.get("student", "")
        if is_staff_name(student) and not signed_in(request):
            return HttpResponseForbidden(
                "Staff pages of this demo need the staff token: open /staff/login/?token=<token> "
                "(the demo prints the link when it starts).", content_type="text/plain")
        return self.get_response(request)


def staff_login(request: HttpRequest) -> HttpResponse:
    """Sign this browser in as staff with the demo's token, then go to the index."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    token = _token()
    given = request.GET.get("token", "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponseForbidden("Wrong or missing staff token.", content_type="text/plain")
    request.session.cycle_key()
    request.session[SESSION_KEY] = True
    return HttpResponseRedirect("/")
