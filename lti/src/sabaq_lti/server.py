"""``sabaq-lti serve``: the tool on a threaded WSGI server, with its background jobs.

Beside the web application the process runs the score sender (``scores.SENDER``) and, every
``reconcile_every`` seconds, the block's reconciler (finishing runs whose callback was lost,
publishing scores that did not leave); the sender alone delivers scores. For a large site run the
WSGI application under a production server (``gunicorn sabaq_lti.wsgi``) and these jobs as
``python -m sabaq_xblock.reconcile --every 30`` and ``sabaq-lti deliver-scores --every 30``.
"""

from __future__ import annotations

import logging
import os
import socketserver
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)


MAX_REQUESTS = 64
"""Requests served at once; the next waits to be accepted (a flood cannot start unbounded threads)."""


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    _slots = threading.BoundedSemaphore(MAX_REQUESTS)

    def process_request(self, request: object, client_address: object) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)  # type: ignore[arg-type]
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: object, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[arg-type]
        finally:
            self._slots.release()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def _jobs(every: float, grace: float) -> None:
    from django.db import close_old_connections

    from sabaq_contract import settings as deployment
    from sabaq_xblock.backend import CeleryBackend
    from sabaq_xblock.lifecycle import Lifecycle
    from sabaq_xblock.submissions import SubmissionStore

    from .runtime import job_publisher

    settings = deployment.load(None)
    lifecycle = Lifecycle(SubmissionStore(settings.submissions_db), CeleryBackend(settings), settings)
    while True:
        time.sleep(every)
        try:
            close_old_connections()
            lifecycle.reconcile(job_publisher(), grace=grace)
        except Exception:  # the loop outlives one bad pass
            log.exception("a reconcile pass failed")


def serve(host: str, port: int, *, reconcile_every: float = 30.0, grace: float = 30.0) -> None:
    if not os.environ.get("SABAQ_LTI_BASE_URL"):
        os.environ["SABAQ_LTI_PORT"] = str(port)
    from django.core.wsgi import get_wsgi_application

    from .config import tool_urls
    from .scores import SENDER

    application = get_wsgi_application()
    if reconcile_every > 0:
        threading.Thread(target=_jobs, args=(reconcile_every, grace), name="sabaq-lti-jobs", daemon=True).start()
    SENDER.wake()  # scores left from before a restart
    with make_server(host, port, application, server_class=_Server, handler_class=_QuietHandler) as httpd:
        print(f"sabaq-lti: serving {tool_urls().base} (login {tool_urls().login}, keyset {tool_urls().jwks})",
              flush=True)
        httpd.serve_forever()
