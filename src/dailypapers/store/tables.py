"""Every table of the schema: importing this module registers all model modules on ``Base``.

``store/models.py`` holds the core tables; areas with several tables keep them in their own
``store/models_<area>.py`` (which imports ``Base`` from ``models``). Code that needs the whole
schema (the Alembic environment, the tests' truncation) imports ``Base`` from here.
"""

from dailypapers.store import models_channels
from dailypapers.store.models import Base

__all__ = ["Base", "models_channels"]
