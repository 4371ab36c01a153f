"""The tests; their fixtures come from the test bed's pytest plugin."""

pytest_plugins = ["testbed.pytest_plugin"]
