"""The test bed: everything that tests the program without being under test.

The real tools (`tools`: the Pulumi CLI, its Python host, influxd and Telegraf, built pinned), the
InfluxDB servers tests run against (`influx`: the real influxd and the emulator), the engines that
run the program (`engine`: the real CLI and the stand-in), what the alert tasks read (`telegraf`:
the real Telegraf, reading `kubernetes`: a fake API server and kubelet), and the pytest fixtures
(`pytest_plugin`).
"""
