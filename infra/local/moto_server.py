"""Runs moto's server on a loopback port until the parent process goes away.

The parent (the local cloud, written in Node) holds our stdin open. When it
exits, however it exits (even SIGKILL), the pipe closes, read() returns, and
we stop: moto never outlives the local cloud that started it.
"""
import os
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer

# DynamoDB applies each write (ADD, conditional puts) atomically; moto's
# threaded server does not, and 50 concurrent counter increments lost one
# under load. One request at a time gives the guarantees the code relies on.
_dynamodb_lock = threading.Lock()
_dynamodb_call = DynamoHandler.call_action


def _serialized_call(self, *args, **kwargs):
    with _dynamodb_lock:
        return _dynamodb_call(self, *args, **kwargs)


DynamoHandler.call_action = _serialized_call


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
