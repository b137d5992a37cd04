"""ASGI entry point for servers: ``uvicorn dailypapers.web.asgi:app``."""

from dailypapers.web.app import create_app

app = create_app(warm=True)
