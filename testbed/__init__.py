"""The test bed: everything that tests the program without being under test.

The real tools (`tools`: the Pulumi CLI, its Python host and influxd, built pinned), the InfluxDB
servers tests run against (`influx`: the real influxd and the emulator), the engines that run the
program (`engine`: the real CLI and the stand-in), and the pytest fixtures (`pytest_plugin`).
"""
