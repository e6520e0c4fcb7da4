"""Bad input on the document pages is refused, never a 500 (issue 11 item 5): ids that arrive as text
are parsed once (``liuhen.core.inputs.parse_id``; ``str.isdigit()`` also takes ``²``)."""

from __future__ import annotations

import pytest
from django.test import Client

HUGE = "1234567890123456789012345"


@pytest.mark.django_db
@pytest.mark.parametrize(("responds_to", "status"), [("²", 200), ("abc", 200), (HUGE, 200), ("999999999", 404)])
def test_new_document_page__a_responds_to_that_names_no_document_is_never_a_500(
    staff_for,
    responds_to,
    status,
):
    staff = staff_for("xigang-culture")
    case = staff.open("inspection")
    browser = Client(raise_request_exception=False)
    browser.force_login(staff.officer)
    url = f"/documents/case/{case.pk}/new?doc_type=site_inspection_record&responds_to={responds_to}"
    assert browser.get(url).status_code == status
