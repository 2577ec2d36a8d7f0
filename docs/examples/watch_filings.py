"""Follow the filings of a county with gx.v1.WatchService/WatchFilings, resuming from a stored
cursor after a disconnect or a gxd restart (see docs/integration.md).

Generate the stubs once (pip install grpcio grpcio-tools):

    python -m grpc_tools.protoc -Iproto --python_out=stubs --grpc_python_out=stubs \
        gx/v1/watch.proto

Then:

    python docs/examples/watch_filings.py --addr gxd.example:50051 --token "$GX_TOKEN" \
        --org 621024 --cursor-file county.cursor --stubs stubs

Prints one JSON object per event. The cursor of each event is written to --cursor-file only
after the event is handled (here: printed), so a crash at any point repeats at most the event
in hand and never skips one. tests/server/interop.rs runs this file against a real gxd.
"""

import argparse
import json
import os
import sys
import time


def load_cursor(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""  # never watched: every event from the first


def store_cursor(path, cursor):
    # Written aside and renamed: the file always holds a whole cursor.
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(cursor)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def handle(event, watch_pb2):
    """What this system does with an event; here, print it."""
    print(
        json.dumps(
            {
                "cursor": event.cursor,
                "kind": watch_pb2.FilingEventKind.Name(event.kind),
                "org_id": event.org_id,
                "year": event.year,
                "revision": event.revision,
                "actor": event.actor,
                "reason": event.reason,
                "cells": [{"cell": c.cell, "note": c.note} for c in event.cells],
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--cursor-file", required=True)
    p.add_argument("--stubs", default="stubs")
    p.add_argument("--max-events", type=int, default=0, help="stop after this many (0: never)")
    args = p.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc

    from gx.v1 import watch_pb2, watch_pb2_grpc

    metadata = [("authorization", "Bearer " + args.token)]
    handled = 0
    backoff = 1.0
    while True:
        cursor = load_cursor(args.cursor_file)
        try:
            with grpc.insecure_channel(args.addr) as channel:
                stub = watch_pb2_grpc.WatchServiceStub(channel)
                request = watch_pb2.WatchFilingsRequest(org=args.org, from_cursor=cursor)
                for response in stub.WatchFilings(request, metadata=metadata):
                    handle(response.event, watch_pb2)
                    store_cursor(args.cursor_file, response.event.cursor)
                    backoff = 1.0
                    handled += 1
                    if args.max_events and handled >= args.max_events:
                        return 0
        except grpc.RpcError as e:
            code = e.code()
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                # gxd restarting or unreachable: resume from the stored cursor.
                print(f"watch: {code.name}: {e.details()}; retrying", file=sys.stderr)
                time.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            # INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION (a cursor past gxd's log: the
            # data directory was restored), UNAUTHENTICATED, PERMISSION_DENIED: retrying the
            # same call cannot help; a person must look.
            print(f"watch: {code.name}: {e.details()}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
