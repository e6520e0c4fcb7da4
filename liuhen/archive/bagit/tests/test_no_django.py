"""``liuhen.archive.bagit`` needs no Django: every module imports, and a package is built and checked, in
an interpreter where ``import django`` fails."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

PROGRAM = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class NoDjango:
        def find_spec(self, name, path=None, target=None):
            if name == "django" or name.startswith("django."):
                raise ImportError(f"{name}: Django is not available here")
            return None

    sys.meta_path.insert(0, NoDjango())
    import liuhen.archive.bagit as bagit_pkg

    names = [m.name for m in pkgutil.iter_modules(bagit_pkg.__path__, "liuhen.archive.bagit.") if m.name.rsplit(".", 1)[-1] != "tests"]
    for name in names:
        importlib.import_module(name)
    loaded = sorted(n for n in sys.modules if n == "django" or n.startswith("django."))
    assert not loaded, loaded
    print(" ".join(sorted(n.rsplit(".", 1)[-1] for n in names)))
    """
)


def test_bagit__imports_with_django_absent():
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    modules = set(done.stdout.split())
    assert {"checks", "disc_image", "formats", "hashing", "package", "proofs", "render", "spec"} <= modules
