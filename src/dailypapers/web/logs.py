"""Log set-up of the web process: plain text, or one JSON object per line with a request id.

``DAILYPAPERS_LOG_FORMAT=json`` switches the root logger to python-json-logger: each line has
``time``, ``level``, ``logger``, ``message`` and the ``request_id`` of the request being
served (``-`` outside requests), and the access logger ``dailypapers.access`` writes one
line per request with ``method``, ``route``, ``status`` and ``duration_ms``.
"""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from dailypapers.config import Settings
from dailypapers.web.metrics import request_id

_MARK = "_dailypapers_json"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(settings: Settings) -> None:
    """Install the JSON handler on the root logger once (a no-op for text logs)."""
    if settings.log_format != "json":
        return
    root = logging.getLogger()
    if any(getattr(h, _MARK, False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))  # fmt: skip
    handler.addFilter(RequestIdFilter())
    setattr(handler, _MARK, True)
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler]
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, logging.WARNING))
    logging.getLogger("dailypapers.access").setLevel(logging.INFO)
