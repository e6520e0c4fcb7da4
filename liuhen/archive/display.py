"""How the archive's pages show sizes (decimal units, as printed on discs and drives)."""

from __future__ import annotations


def size_label(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} 字节"
