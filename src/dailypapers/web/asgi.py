"""ASGI entry point for servers: ``uvicorn dailypapers.web.asgi:app``."""

import os

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bars in logs

from dailypapers.web.app import create_app  # after the environment is set

app = create_app(warm=True)
