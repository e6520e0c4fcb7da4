"""WSGI entry point (served by gunicorn in ``make run``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuhen.settings")
application = get_wsgi_application()

# A broken policy profile stops the server from starting (the error names file, field and problem).
from liuhen.policy.loader import assert_profiles_valid  # noqa: E402

assert_profiles_valid()
