"""What the cases app lets apps above it add to its acts and its pages (explicit: called by name, never
a signal). Apps register in their ``ready()``.

- ``case_closed(case=, actor=)``: a case was closed (its ``archiving`` deadline already started), called
  inside ``case_close``'s transaction. The archive opens the case file.
- ``case_page_sections.collect(user=, case=, profile=)``: each callback answers ``(template, context)``,
  a section of the case page drawn by another app (the documents app: the case's 文书).
- ``requirement_links.collect(case=, requirements=, stage_id=)``: each callback answers
  ``{requirement code: url}``, the page where a requirement is met (the documents app: a missing form).
"""

from __future__ import annotations

from typing import Any

from liuhen.core.hooks import Hook


class Provider(Hook):
    """A hook whose callbacks answer: ``collect`` returns their answers in the order registered."""

    def collect(self, **kwargs: Any) -> list[Any]:
        return [callback(**kwargs) for callback in self.callbacks]


case_closed = Hook("case_closed", "A case was closed: case, actor. Called inside case_close's transaction.")
case_page_sections = Provider(
    "case_page_sections", "A section of the case page: (user, case, profile) -> (template name, context)."
)
requirement_links = Provider(
    "requirement_links", "Where requirements are met: (case, requirements, stage_id) -> {requirement code: url}."
)
