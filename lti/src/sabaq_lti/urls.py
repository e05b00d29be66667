"""The tool's URLs (all under ``/lti/`` but the home page)."""

from __future__ import annotations

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.home),
    path("lti/jwks", views.jwks, name="sabaq_lti_jwks"),
    path("lti/login", views.login, name="sabaq_lti_login"),
    path("lti/launch", views.launch, name="sabaq_lti_launch"),
    re_path(r"^lti/s/(?P<key>[A-Za-z0-9_-]{20,64})/$", views.page),
    re_path(r"^lti/s/(?P<key>[A-Za-z0-9_-]{20,64})/pick$", views.pick),
    re_path(r"^lti/s/(?P<key>[A-Za-z0-9_-]{20,64})/handler/(?P<usage_id>lti-[0-9a-f]{32})/(?P<handler_name>[A-Za-z0-9_]+)"
            r"(?:/(?P<suffix>.*))?$", views.handler),
    re_path(r"^lti/callback/(?P<usage_id>lti-[0-9a-f]{32})/(?P<handler_name>[A-Za-z0-9_]+)$", views.callback),
    re_path(r"^lti/static/(?P<name>[a-z]+\.js)$", views.static_file),
    re_path(r"^lti/resource/(?P<block_type>[a-z_]+)/(?P<path>.+)$", views.resource),
]
