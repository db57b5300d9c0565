"""F2: the project's production settings and middleware, its floor's URLs."""

from config.settings.prod import *  # noqa: F403

ROOT_URLCONF = "floors.urls_f2"
