"""The web application: HTML pages (``routes``), templates and static files."""
