"""Workbench services named by ``sabaq_xblock.devserver`` (demo and tests only)."""

from __future__ import annotations

from typing import Any

from xblock.reference.user_service import UserService, XBlockUser


class SettingsService:
    """``XBLOCK_SETTINGS[<block settings key>]``, as the LMS's settings service answers."""

    runtime: Any = None

    def get_settings_bucket(self, block: Any, default: Any = None) -> Any:
        from django.conf import settings

        return settings.XBLOCK_SETTINGS.get("sabaq_notebook", default or {})


class DevUserService(UserService):  # type: ignore[misc]
    """The workbench user (``?student=``); names starting with ``staff`` are staff."""

    runtime: Any = None

    def __init__(self) -> None:
        super().__init__(user=None)

    def get_current_user(self) -> XBlockUser:
        uid = str(getattr(self.runtime, "user_id", "") or "")
        user = XBlockUser(is_current_user=True, full_name=f"Workbench user {uid}")
        user.opt_attrs["xblock-workbench.user_id"] = uid
        user.opt_attrs["edx-platform.user_is_staff"] = uid.startswith("staff")
        return user


class ThirdPartyHandlerCsrfExempt:
    """Exempt ``/unauth_handler/`` from CSRF, as the LMS exempts its no-auth handlers.

    The grader's callback carries an HMAC signature instead of a session.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.path.startswith("/unauth_handler/"):
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)
