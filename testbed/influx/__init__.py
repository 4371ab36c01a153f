"""The InfluxDB servers tests run against: the real influxd, the emulator, or one named by env."""
