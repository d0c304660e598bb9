"""The seed workload on diskcache + filelock, the Python original's stack, for side-by-side rows.

Prints one JSON object: {"rows": [{row, n, opsPerSec, p50Ms, p99Ms, rssBytes}, ...]}.
With --serve it stays up and runs one group per request instead, so that the harness pairs each
repeat with the other subjects' (a JSON line {"group", "n", "tag", "minMs"} in, {"rows": {...}} out).
Run by @stowage/bench; the rules (N, payloads, TTLs, median of repeats) mirror bench/src/scenarios/seed.ts.
"""

import argparse
import json
import os
import resource
import threading
import time

import diskcache
import filelock

DAY_S = 24 * 60 * 60


def percentile(sorted_values, q):
    # Linear interpolation between closest ranks, the same rule as bench/src/stats.ts.
    if not sorted_values:
        return float("nan")
    rank = (q / 100) * (len(sorted_values) - 1)
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def summary(latencies_ms, elapsed_ms=None):
    ordered = sorted(latencies_ms)
    wall = elapsed_ms if elapsed_ms is not None else sum(ordered)
    return {
        "n": len(ordered),
        "opsPerSec": len(ordered) * 1000 / wall if wall > 0 else float("nan"),
        "p50Ms": percentile(ordered, 50),
        "p99Ms": percentile(ordered, 99),
        "meanMs": sum(ordered) / len(ordered) if ordered else float("nan"),
        "maxMs": ordered[-1] if ordered else float("nan"),
    }


def timed(latencies, fn, *args, **kwargs):
    start = time.perf_counter_ns()
    result = fn(*args, **kwargs)
    latencies.append((time.perf_counter_ns() - start) / 1e6)
    return result


def json_document():
    return {f"field_{i:02d}": f"value-{i:02d}-" + "x" * 8 for i in range(20)}


def checkpoint_payload():
    return {"messages": ["m" * 100 for _ in range(18)], "step": 1}


def elapsed_ms(start):
    return (time.perf_counter_ns() - start) / 1e6


def run_loop(n, fn, min_ms=0):
    # Repeats the n operations until min_ms have passed, as bench/src/measure.ts timedRun does.
    latencies = []
    start = time.perf_counter_ns()
    while True:
        for i in range(n):
            timed(latencies, fn, i)
        if n == 0 or elapsed_ms(start) >= min_ms:
            break
    return summary(latencies, elapsed_ms(start))


def run_group(cache, lock_dir, group, n, tag, min_ms):
    """One repeat of one row group (the harness's repeatRuns key), as run_once runs them all."""
    text = "v" * 100
    if group == "cache_set":
        return {group: run_loop(n, lambda i: cache.set(f"{tag}:cache:{i}", text, expire=DAY_S), min_ms)}
    if group == "cache_get":
        return {group: run_loop(n, lambda i: cache.get(f"{tag}:cache:{i}"), min_ms)}
    if group == "json_set":
        doc = json_document()
        return {group: run_loop(n, lambda i: cache.set(f"{tag}:json:{i}", json.dumps(doc), expire=DAY_S), min_ms)}
    if group == "json_get":
        return {group: run_loop(n, lambda i: json.loads(cache.get(f"{tag}:json:{i}")), min_ms)}
    if group == "lock":
        acquire_ms, release_ms, cycle_ms = [], [], []
        start = time.perf_counter_ns()
        while True:
            for i in range(n):
                lock = filelock.FileLock(os.path.join(lock_dir, f"{tag}-lock-{i}.lock"))
                cycle_start = time.perf_counter_ns()
                timed(acquire_ms, lock.acquire, timeout=10)
                timed(release_ms, lock.release)
                cycle_ms.append(elapsed_ms(cycle_start))
            if n == 0 or elapsed_ms(start) >= min_ms:
                break
        return {"lock_acquire": summary(acquire_ms), "lock_release": summary(release_ms), "lock_cycle": summary(cycle_ms)}
    if group == "checkpoint_save":
        payload = checkpoint_payload()
        save = lambda i: cache.set(f"{tag}:checkpoint:thread-{i}", json.dumps(payload), expire=7 * DAY_S)  # noqa: E731
        return {group: run_loop(n, save, min_ms)}
    if group == "checkpoint_load":
        return {group: run_loop(n, lambda i: json.loads(cache.get(f"{tag}:checkpoint:thread-{i}")), min_ms)}
    if group == "concurrent":
        return {group: concurrent_mix(cache, n, tag)}
    raise ValueError(f"unknown group {group}")


def concurrent_mix(cache, n, tag):
    text = "v" * 100
    latencies, counter, guard = [], [0], threading.Lock()

    def worker():
        own = []
        while True:
            with guard:
                i = counter[0]
                counter[0] += 2
            if i >= n:
                break
            key = f"{tag}:mix:{i}"
            timed(own, cache.set, key, text, expire=DAY_S)
            timed(own, cache.get, key)
        with guard:
            latencies.extend(own)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    start = time.perf_counter_ns()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(latencies, elapsed_ms(start))


def serve(cache, lock_dir):
    import sys

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        rows = run_group(cache, lock_dir, request["group"], request["n"], request["tag"], request.get("minMs", 0))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        print(json.dumps({"rows": rows, "rssBytes": rss}), flush=True)


GROUPS = ("cache_set", "cache_get", "json_set", "json_get", "lock", "checkpoint_save", "checkpoint_load", "concurrent")


def run_once(cache, lock_dir, n, tag):
    """Every row group once, in the seed scenario's order."""
    rows = {}
    for group in GROUPS:
        rows.update(run_group(cache, lock_dir, group, n, tag, 0))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--serve", action="store_true")
    # diskcache's sqlite_synchronous: 1 = NORMAL (its default), 2 = FULL (an fsync per commit).
    parser.add_argument("--sqlite-synchronous", type=int, default=1)
    args = parser.parse_args()

    lock_dir = os.path.join(args.dir, "locks")
    os.makedirs(lock_dir, exist_ok=True)
    settings = {"sqlite_synchronous": args.sqlite_synchronous}
    if args.serve:
        with diskcache.Cache(os.path.join(args.dir, "cache"), **settings) as cache:
            serve(cache, lock_dir)
        return
    with diskcache.Cache(os.path.join(args.dir, "cache"), **settings) as cache:
        if args.warmup > 0:
            run_once(cache, lock_dir, args.warmup, "warmup")
        runs = [run_once(cache, lock_dir, args.n, f"run{r}") for r in range(args.repeats)]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    rows = []
    for name in runs[0]:
        ordered = sorted((run[name] for run in runs), key=lambda row: row["opsPerSec"])
        median = ordered[(len(ordered) - 1) // 2]
        rows.append({"row": name, **median, "rssBytes": rss})
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
