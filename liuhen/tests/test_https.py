"""HTTPS mode (``LIUHEN_HTTPS=1``, behind a TLS-terminating proxy): plain HTTP is redirected to HTTPS,
the proxy's ``X-Forwarded-Proto: https`` marks a request as secure, ``/healthz`` answers over plain HTTP
(the proxy's and the load balancer's own checks), and secure requests carry HSTS.

Settings are read once at start-up, so each case runs in a fresh interpreter with the environment a
deployment would have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.test import Client
c = Client()
out = {}
for name, path, headers in [
    ("plain", "/api/openapi.json?x=1", {}),
    ("forwarded", "/api/openapi.json", {"HTTP_X_FORWARDED_PROTO": "https"}),
    ("healthz", "/healthz", {}),
]:
    r = c.get(path, HTTP_HOST="liuhen.example.gov.cn", **headers)
    out[name] = {"status": r.status_code, "location": r.get("Location"), "hsts": r.get("Strict-Transport-Security")}
print(json.dumps(out))
"""


def _probe(tmp_path, **env: str) -> dict:
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liuhen.settings",
        "LIUHEN_DATA_DIR": str(tmp_path),
        "LIUHEN_SECRET_KEY": "test-only-secret-key-for-the-https-probe",
        "LIUHEN_ALLOWED_HOSTS": "liuhen.example.gov.cn",
        **env,
    }
    environ.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_https_mode__plain_http_is_redirected_and_the_proxy_header_is_trusted(tmp_path):
    seen = _probe(tmp_path, LIUHEN_HTTPS="1")
    assert seen["plain"]["status"] == 301
    assert seen["plain"]["location"] == "https://liuhen.example.gov.cn/api/openapi.json?x=1"
    assert seen["forwarded"]["status"] == 200 and "max-age=31536000" in seen["forwarded"]["hsts"]
    assert seen["healthz"]["status"] == 200 and seen["healthz"]["location"] is None


@pytest.mark.parametrize("value", ["0", ""])
def test_http_mode__nothing_is_redirected(tmp_path, value):
    seen = _probe(tmp_path, LIUHEN_HTTPS=value)
    assert seen["plain"]["status"] == 200 and seen["plain"]["location"] is None
    assert seen["forwarded"]["hsts"] is None
