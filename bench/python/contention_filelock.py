"""One contender of the contention scenario on filelock, the seed's lock.

Prints "ready", waits for a line on stdin, then for --duration ms acquires --lock-file, holds it
--hold-ms and releases; prints one JSON object shaped like bench/src/contention/cycle.ts's CycleResult.
Times are time.monotonic() in ms: CLOCK_MONOTONIC, the clock the Node side reads with process.hrtime.
"""

import argparse
import json
import sys
import time

import filelock


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lock-file", required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--hold-ms", type=float, default=0)
    args = parser.parse_args()
    lock = filelock.FileLock(args.lock_file)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    waits, held_from, held_until = [], [], []
    while (time.monotonic() - start) * 1000 < args.duration:
        asked = time.monotonic()
        lock.acquire(timeout=args.duration / 1000 + 5)
        granted = time.monotonic()
        held_from.append(granted * 1000)
        waits.append((granted - asked) * 1000)
        if args.hold_ms > 0:
            time.sleep(args.hold_ms / 1000)
        held_until.append(time.monotonic() * 1000)
        lock.release()
    print(json.dumps({
        "acquisitions": len(waits),
        "waitsMs": waits,
        "elapsedMs": (time.monotonic() - start) * 1000,
        "heldFrom": held_from,
        "heldUntil": held_until,
    }), flush=True)


if __name__ == "__main__":
    main()
