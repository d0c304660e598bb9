"""The seed workload on diskcache + filelock, the Python original's stack, for side-by-side rows.

Prints one JSON object: {"rows": [{row, n, opsPerSec, p50Ms, p99Ms, rssBytes}, ...]}.
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


def run_loop(n, fn):
    latencies = []
    start = time.perf_counter_ns()
    for i in range(n):
        timed(latencies, fn, i)
    return summary(latencies, (time.perf_counter_ns() - start) / 1e6)


def run_once(cache, lock_dir, n, tag):
    text = "v" * 100
    doc = json_document()
    payload = checkpoint_payload()
    rows = {}
    rows["cache_set"] = run_loop(n, lambda i: cache.set(f"{tag}:cache:{i}", text, expire=DAY_S))
    rows["cache_get"] = run_loop(n, lambda i: cache.get(f"{tag}:cache:{i}"))
    rows["json_set"] = run_loop(n, lambda i: cache.set(f"{tag}:json:{i}", json.dumps(doc), expire=DAY_S))
    rows["json_get"] = run_loop(n, lambda i: json.loads(cache.get(f"{tag}:json:{i}")))

    acquire_ms, release_ms, cycle_ms = [], [], []
    for i in range(n):
        lock = filelock.FileLock(os.path.join(lock_dir, f"{tag}-lock-{i}.lock"))
        cycle_start = time.perf_counter_ns()
        timed(acquire_ms, lock.acquire, timeout=10)
        timed(release_ms, lock.release)
        cycle_ms.append((time.perf_counter_ns() - cycle_start) / 1e6)
    rows["lock_acquire"] = summary(acquire_ms)
    rows["lock_release"] = summary(release_ms)
    rows["lock_cycle"] = summary(cycle_ms)

    rows["checkpoint_save"] = run_loop(
        n, lambda i: cache.set(f"{tag}:checkpoint:thread-{i}", json.dumps(payload), expire=7 * DAY_S)
    )
    rows["checkpoint_load"] = run_loop(n, lambda i: json.loads(cache.get(f"{tag}:checkpoint:thread-{i}")))

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
    rows["concurrent"] = summary(latencies, (time.perf_counter_ns() - start) / 1e6)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--repeats", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()

    lock_dir = os.path.join(args.dir, "locks")
    os.makedirs(lock_dir, exist_ok=True)
    with diskcache.Cache(os.path.join(args.dir, "cache")) as cache:
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
