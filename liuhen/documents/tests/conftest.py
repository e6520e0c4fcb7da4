"""Document tests use the case fixtures: staff of an agency under a chosen profile, a private data folder."""

from liuhen.cases.tests.conftest import staff_for  # noqa: F401 (fixtures)
