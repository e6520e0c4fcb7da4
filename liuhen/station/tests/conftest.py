"""Station tests reuse the media fixtures: staff, tokens, a private blob store and data folder."""

from liuhen.media.tests.conftest import _blobs, other_staff, staff, token_for  # noqa: F401 (fixtures)
