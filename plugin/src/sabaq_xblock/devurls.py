"""The demo's URLs: the workbench's learner pages and block handlers, nothing more.

The workbench's own URLconf (``workbench.urls``) is for developers: its scenario
page prints each scenario's OLX (instructor notebook, hidden tests, answer keys),
its media pattern has an empty root and so serves every file below the working
directory, and it adds the admin, a list of users and a CSRF-exempt "reset state".
Here the index and scenario pages render ``devtemplates`` (no OLX), views other
than ``student_view`` are for staff only, and CSRF protection covers every
handler but the grader's callback, which its HMAC signature authenticates. Acting as a
staff user needs the demo's staff token (``devauth``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.views import serve
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import JavaScriptCatalog
from workbench import views

from .devauth import staff_login
from .devservices import is_staff_name

LEARNER_VIEWS = ("student_view",)
_HANDLER = r"(?P<usage_id>[^/]+)/(?P<handler_slug>[^/]*)(?:/(?P<suffix>.*))?$"
_CALLBACK = r"(?P<usage_id>[^/]+)/(?P<handler_slug>grading_result)(?:/(?P<suffix>.*))?$"


def scenario(request: HttpRequest, scenario_id: str, view_name: str = "student_view",
             template: str = "workbench/block.html") -> HttpResponse:
    """A scenario's page; a view other than the learner's only for staff."""
    if view_name not in LEARNER_VIEWS and not is_staff_name(views.get_student_id(request)):
        raise Http404
    response: HttpResponse = views.show_scenario(request, scenario_id, view_name, template)
    return response


def index(request: HttpRequest) -> HttpResponse:
    """The workbench's index of scenarios; for staff, a link to the demo's catalog of module
    bundles (``SABAQ_DEMO_CATALOG_URL``: served apart, since bundles hold hidden tests)."""
    import os

    from django.conf import settings
    from django.shortcuts import render
    from workbench.scenarios import get_scenarios

    scenarios = [(name, scenario) for name, scenario in sorted(get_scenarios().items())
                 if name.split(".")[0] not in settings.EXCLUDED_XBLOCKS]  # as the workbench's own index
    return render(request, "workbench/index.html", {
        "scenarios": [(name, scenario.description) for name, scenario in scenarios],
        # the catalog's bundles hold solutions and hidden tests: staff only
        "catalog_url": os.environ.get("SABAQ_DEMO_CATALOG_URL", "") if is_staff_name(views.get_student_id(request))
        else ""})


def static_file(request: HttpRequest, path: str) -> Any:
    """The apps' static files (the workbench's scripts), served with ``DEBUG`` off."""
    return serve(request, path, insecure=True)


urlpatterns = [
    re_path(r"^$", index, name="workbench_index"),
    re_path(r"^scenario/(?P<scenario_id>[^/]+)/$", scenario, name="workbench_show_scenario"),
    re_path(r"^scenario/(?P<scenario_id>[^/]+)/(?P<view_name>[^/]+)/$", scenario,
            name="scenario"),
    re_path(r"^view/(?P<scenario_id>[^/]+)/$", scenario,
            {"template": "workbench/blockview.html"}),
    re_path(r"^view/(?P<scenario_id>[^/]+)/(?P<view_name>[^/]+)/$", scenario,
            {"template": "workbench/blockview.html"}),
    re_path(r"^handler/" + _HANDLER, views.handler, {"authenticated": True}, name="handler"),
    re_path(r"^aside_handler/(?P<aside_id>[^/]+)/(?P<handler_slug>[^/]*)(?:/(?P<suffix>.*))?$",
            views.aside_handler, {"authenticated": True}, name="aside_handler"),
    re_path(r"^unauth_handler/" + _CALLBACK, csrf_exempt(views.handler),
            {"authenticated": False}),
    re_path(r"^unauth_handler/" + _HANDLER, views.handler, {"authenticated": False},
            name="unauth_handler"),
    re_path(r"^resource/(?P<block_type>[^/]+)/(?P<resource>.*)$", views.package_resource,
            name="package_resource"),
    re_path(r"^static/(?P<path>.*)$", static_file),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("staff/login/", staff_login, name="sabaq_staff_login"),
]
