"""Root pytest configuration: shared fixtures and the clause-traceability plugin."""

pytest_plugins = ["liuhen.testing.plugin"]
