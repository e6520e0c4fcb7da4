"""``{% post_limits %}``: the server's limits on a form submission, as data attributes for ``liuhen/forms.js``."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def post_limits() -> str:
    """``data-post-max`` (bytes, DATA_UPLOAD_MAX_MEMORY_SIZE) and ``data-fields-max`` (DATA_UPLOAD_MAX_NUMBER_FIELDS);
    empty where Django has no limit."""
    size, fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return format_html(
        'data-post-max="{}" data-fields-max="{}"', "" if size is None else size, "" if fields is None else fields
    )
