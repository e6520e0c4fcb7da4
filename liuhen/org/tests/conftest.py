"""Org tests create many users; hash their passwords with a fast hasher here.

Argon2 itself (the configured hasher) is proven in liuhen/core/tests/test_login_security.py and in
the browser tests, which keep the real settings.
"""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
