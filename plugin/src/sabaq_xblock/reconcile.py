"""The reconciler as a command, for a periodic job (cron, a Kubernetes CronJob, a loop)::

    python -m sabaq_xblock.reconcile [--every SECONDS] [--grace SECONDS]

It reads the deployment's settings (the block's ``XBLOCK_SETTINGS`` bucket when run with
Django settings, then ``SABAQ_*``, as the workers do), makes one pass of
``Lifecycle.reconcile`` over every block's submissions (or one pass every ``--every``
seconds) and prints what it did as one JSON line per pass. Run with the LMS's Django
settings (``DJANGO_SETTINGS_MODULE``), or the workbench's, it also publishes scores that
did not leave the block; elsewhere those wait for a run that can.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict

from sabaq_contract import logs
from sabaq_contract import settings as deployment

from .backend import CeleryBackend
from .compat import BLOCK_TYPE, job_publisher
from .lifecycle import Lifecycle
from .submissions import SubmissionStore

log = logging.getLogger("sabaq_xblock.reconcile")


def _block_settings() -> dict[str, object] | None:
    """With Django settings (the LMS's, or the workbench's), the block's own settings bucket
    (``XBLOCK_SETTINGS["sabaq_notebook"]``), as the block reads it; ``SABAQ_*`` fill the rest."""
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return None
    import django
    from django.conf import settings

    django.setup()
    bucket = getattr(settings, "XBLOCK_SETTINGS", {}).get(BLOCK_TYPE)
    return dict(bucket) if isinstance(bucket, dict) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sabaq_xblock.reconcile",
                                     description="Repair what the grading queue lost.")
    parser.add_argument("--every", type=float, default=0.0, help="repeat every SECONDS (default: once)")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="leave submissions queued less than SECONDS ago to their callbacks")
    args = parser.parse_args(argv)
    logs.from_environment()  # SABAQ_LOG_FORMAT=json: one JSON object per line
    settings = deployment.load(_block_settings())
    lifecycle = Lifecycle(SubmissionStore(settings.submissions_db), CeleryBackend(settings), settings)
    publish = job_publisher()
    while True:
        try:
            done = lifecycle.reconcile(publish, grace=args.grace)
        except Exception:  # a periodic job outlives one bad pass; a single pass says it failed
            if args.every <= 0:
                raise
            log.exception("a reconcile pass failed; the next one runs in %s s", args.every)
            time.sleep(args.every)
            continue
        print(json.dumps({"at": time.time(), **asdict(done)}), flush=True)
        if args.every <= 0:
            return 1 if done.unreachable else 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
