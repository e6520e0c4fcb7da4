"""The station's local memory: one JSON file, replaced atomically, so a kill at any moment leaves
either the old or the new state, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self.data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            self.data = {}
        self.data.setdefault("files", {})
        self.data.setdefault("docking", {})

    def file(self, key: str) -> dict[str, Any]:
        return self.data["files"].setdefault(key, {})

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
