"""F1: the project's production settings, its floor's URLs, no middleware."""

from config.settings.prod import *  # noqa: F403

ROOT_URLCONF = "floors.urls_f1"
MIDDLEWARE = []
