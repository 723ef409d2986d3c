"""Runs moto's server on a loopback port until the parent process goes away.

The parent (the local cloud, written in Node) holds our stdin open. When it
exits, however it exits (even SIGKILL), the pipe closes, read() returns, and
we stop: moto never outlives the local cloud that started it.
"""
import os
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _, bound = server.get_host_and_port()
    print(f"MOTO_READY {bound}", flush=True)
    try:
        sys.stdin.read()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
