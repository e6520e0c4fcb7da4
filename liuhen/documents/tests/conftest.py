"""Document tests use the case fixtures: staff of an agency under a chosen profile, a private data folder."""
