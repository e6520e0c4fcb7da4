"""Station tests reuse the media fixtures: staff, tokens, a private blob store and data folder."""

from liuhen.cases.tests.conftest import staff_for  # noqa: F401 (fixtures)
from liuhen.media.tests.conftest import _blobs, other_staff, staff, token_for  # noqa: F401 (fixtures)
