"""Root pytest configuration: shared fixtures, the clause-traceability plugin, pytester for plugin tests."""

pytest_plugins = ["liuhen.testing.plugin", "liuhen.testing.clauses", "liuhen.testing.cases", "pytester"]
