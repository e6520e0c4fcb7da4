"""Document tests use the case fixtures: staff of an agency under a chosen profile, a private data folder."""

from liuhen.cases.tests.conftest import _data_dir, staff_for  # noqa: F401 (fixtures)
