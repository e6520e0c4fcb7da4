"""How far ahead of the server a time a person enters may be (phones and cameras run a little fast).

One tolerance for every "not later than now" check: a time of an act (a lead received, a notice given,
a pre-use check, a delivery, an extraction onto a disc) that lies more than ``CLOCK_TOLERANCE`` in the
future is refused; within it, it is kept as entered.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from liuhen.core.errors import ValidationFailed
from liuhen.core.time import beijing_text

CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class TimeInFuture(ValidationFailed):
    code = "date_in_future"
    message = "时间不能晚于现在"


def aware(value: dt.datetime) -> dt.datetime:
    """A naive datetime as the server's local time (Beijing), an aware one unchanged."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def not_in_future(value: dt.datetime, *, label: str, code: str = TimeInFuture.code) -> dt.datetime:
    """``value`` (made aware) unless it is later than now plus the tolerance; then ``TimeInFuture``
    naming the field, the time entered and the way out."""
    value = aware(value)
    if value > timezone.now() + CLOCK_TOLERANCE:
        raise TimeInFuture(
            f"{label}（{beijing_text(value)}）晚于现在，不能登记将来的时间；请核对设备时钟后按实际时间填写",
            code=code,
            field=label,
        )
    return value
