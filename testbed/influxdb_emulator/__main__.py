"""Command line: see the package docstring."""

from __future__ import annotations

import argparse
import sys

from testbed.influxdb_emulator import setup
from testbed.influxdb_emulator.server import EmulatorServer
from testbed.influxdb_emulator.store import Store


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m testbed.influxdb_emulator",
                                     description="An InfluxDB 2.7 API emulator on loopback.")
    parser.add_argument("--port", type=int, default=8086, help="0 picks a free port")
    parser.add_argument("--admin-token", help="the operator token (required with --org)")
    parser.add_argument("--org", help="onboard with this org; without it, start not set up")
    parser.add_argument("--bucket", help="the first bucket created by onboarding")
    parser.add_argument("--user", default="admin", help="the onboarded user's name")
    parser.add_argument("--hashed-tokens", action="store_true",
                        help="behave like 2.9: only the POST answer carries a token's value")
    arguments = parser.parse_args(argv)
    if arguments.org and not arguments.admin_token:
        parser.error("--org needs --admin-token")
    return arguments


def main(argv: list[str]) -> None:
    arguments = parse_arguments(argv)
    store = Store(hashed_tokens=arguments.hashed_tokens)
    if arguments.org:
        setup.onboard(store, arguments.user, arguments.org, arguments.bucket,
                      token=arguments.admin_token)
    server = EmulatorServer(arguments.port, store)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
