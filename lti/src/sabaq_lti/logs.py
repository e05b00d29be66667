"""A log filter that keeps session keys out of the logs (they are in the pages' URLs)."""

from __future__ import annotations

import logging
import re

_KEY = re.compile(r"/lti/s/[A-Za-z0-9_-]{20,64}")


class RedactSessionKeys(logging.Filter):
    """Replaces ``/lti/s/<key>`` with ``/lti/s/<session>`` in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/lti/s/" in message:
            record.msg, record.args = _KEY.sub("/lti/s/<session>", message), None
        return True
