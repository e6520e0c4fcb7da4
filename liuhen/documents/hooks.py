"""What the documents app lets apps above it add (explicit: called by name, registered in ``ready()``).

- ``delivery_av.collect(profile=, delivery=)``: each callback answers a requirement (or None) — the AV
  check of a delivery whose method the agency's 音像记录事项清单 makes AV mandatory for (留置送达,
  av-lien-service). The media app answers from the case's recordings.
"""

from __future__ import annotations

from liuhen.cases.hooks import Provider

delivery_av = Provider("delivery_av", "The AV check of a delivery: (profile, delivery) -> Requirement | None.")
