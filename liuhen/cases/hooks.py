"""What the cases app lets apps above it add to its acts (explicit, called inside the act's transaction).

- ``case_closed(case=, actor=)``: a case was closed (its ``archiving`` deadline already started). The
  archive opens the case file.
"""

from __future__ import annotations

from liuhen.core.hooks import Hook

case_closed = Hook("case_closed", "A case was closed: case, actor. Called inside case_close's transaction.")
