"""The only place that knows about Open edX platform internals, imported lazily.

A grade for a learner who is not the request's user (the grader's callback runs
as an anonymous third party) cannot go through ``runtime.publish``, which
credits the request's user; in the LMS it goes through the grades app's
``SCORE_PUBLISHED`` signal, as other asynchronous graders do. Elsewhere (the
workbench, tests) the event goes to ``runtime.publish`` with the learner's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BLOCK_TYPE = "sabaq_notebook"
"""The block's entry point name (``xblock.v1`` in the plugin's ``pyproject.toml``)."""


def publish_for_learner(block: Any, learner_id: str, event: dict[str, Any]) -> None:
    """Publish the grade ``event`` of ``learner_id`` from outside their request."""
    try:
        from django.contrib.auth import get_user_model
        from lms.djangoapps.grades.api import signals as grades_signals
    except ImportError:  # not inside the LMS
        user_id: Any = int(learner_id) if learner_id.isdigit() else learner_id
        block.runtime.publish(block, "grade", {**event, "user_id": user_id})
        return
    user = get_user_model().objects.get(id=int(learner_id))
    grades_signals.SCORE_PUBLISHED.send(
        sender=None,
        block=block,
        user=user,
        raw_earned=event["value"],
        raw_possible=event["max_value"],
        only_if_higher=event.get("only_if_higher"),
        score_deleted=False,
    )


def job_publisher() -> Callable[[Any], None] | None:
    """How a job outside any request (the reconciler) publishes a submission's score: in the
    LMS it loads the block by usage key and sends ``SCORE_PUBLISHED``; in the XBlock SDK
    workbench (the demo) it loads the block from the workbench and publishes through it; under a
    host's Django settings that name ``SABAQ_JOB_PUBLISHER`` (a function making the publisher), the
    host's. None elsewhere, where graded submissions wait, unpublished, for a reconciler that can publish."""
    try:
        from django.contrib.auth import get_user_model
        from lms.djangoapps.grades.api import signals as grades_signals
        from opaque_keys.edx.keys import UsageKey
        from xmodule.modulestore.django import modulestore
    except ImportError:
        return _workbench_publisher()

    def publish(sub: Any) -> None:
        block = modulestore().get_item(UsageKey.from_string(sub.block_id))
        user = get_user_model().objects.get(id=int(sub.learner_id))
        grades_signals.SCORE_PUBLISHED.send(
            sender=None, block=block, user=user, raw_earned=sub.score or 0.0,
            raw_possible=sub.max_score or 0.0, only_if_higher=None, score_deleted=False,
        )

    return publish


def _workbench_publisher() -> Callable[[Any], None] | None:
    try:
        from django.conf import settings

        if not settings.configured:
            return None
        hosted = getattr(settings, "SABAQ_JOB_PUBLISHER", "")
        if hosted:  # a host of the block outside the LMS (the LTI tool) names its own way out
            from django.utils.module_loading import import_string

            made: Callable[[Any], None] = import_string(hosted)()
            return made
        if "workbench" not in settings.INSTALLED_APPS:
            return None
        from workbench.runtime import WorkbenchRuntime
    except ImportError:
        return None

    from workbench.runtime import ID_MANAGER

    def publish(sub: Any) -> None:
        # The workbench keeps its ids in memory, made when its server loads the scenarios; they
        # are deterministic ("{scenario}.{block type}.d{n}.u{n}"), so this process makes the same
        # entries for the usage instead of loading the scenarios again (which rewrites the
        # server's stored children while it serves).
        definition = sub.block_id.rsplit(".u", 1)[0]
        ID_MANAGER._usages.setdefault(sub.block_id, definition)
        ID_MANAGER._definitions.setdefault(definition, BLOCK_TYPE)
        block = WorkbenchRuntime().get_block(sub.block_id)
        block._publish_submission(sub)  # the block's own way out for a learner not in the request

    return publish


def enrolled_learners(block: Any) -> list[str] | None:
    """The ids of the learners enrolled in ``block``'s course (as the store names learners), in the
    LMS; None elsewhere (the workbench has no enrolment), where "not submitted" is unknown."""
    try:
        from common.djangoapps.student.models import CourseEnrollment
    except ImportError:
        return None
    course_key = getattr(block.scope_ids.usage_id, "course_key", None)
    if course_key is None:
        return None
    users = CourseEnrollment.objects.users_enrolled_in(course_key)
    return [str(user_id) for user_id in users.values_list("id", flat=True)]


def site_secret(settings: Any) -> str:
    """A secret of the site, for keyed hashes staff cannot reverse (anonymous grading's
    pseudonyms): the LMS's ``SECRET_KEY``, else the grader callbacks' secret, else none."""
    try:
        from django.conf import settings as django_settings

        if django_settings.configured and getattr(django_settings, "SECRET_KEY", ""):
            return str(django_settings.SECRET_KEY)
    except ImportError:
        pass
    return str(getattr(settings, "callback_secret", "") or "")
