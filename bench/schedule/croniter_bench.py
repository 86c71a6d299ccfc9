"""Times Python's croniter on the cron next-fires of ScheduleBench's workload and checks its answers.

Usage: python croniter_bench.py WORKLOAD.json [SECONDS]
Prints the rate, the agreement with the Swift answers, and a line `RESULT croniter=N`.
"""
import json
from importlib.metadata import version
import sys
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from croniter import croniter

workload = json.load(open(sys.argv[1]))
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
zone = ZoneInfo(workload["zone"])
starts = [datetime.fromtimestamp(s, timezone.utc).astimezone(zone) for s in workload["starts"]]
iterators = [croniter(expression, starts[0]) for expression in workload["expressions"]]

# Agreement with the Swift answers (same expressions, same start instants).
mismatches = []
for index, (expression, it) in enumerate(zip(workload["expressions"], iterators)):
    for start, ours in zip(starts, workload["fires"][index]):
        it.set_current(start, force=True)
        theirs = int(it.get_next(float))
        if theirs != ours:
            mismatches.append((expression, start.isoformat(), ours, theirs))
total = len(starts) * len(iterators)
print(f"croniter {version('croniter')}: {total - len(mismatches)}/{total} next-fires agree with Swift")
for expression, start, ours, theirs in mismatches[:5]:
    fmt = lambda t: datetime.fromtimestamp(t, timezone.utc).astimezone(zone).isoformat()
    print(f"  differs: {expression!r} after {start}: swift {fmt(ours)}, croniter {fmt(theirs)}")

# Throughput: reuse one iterator per expression, as a scheduler would, and only move its start.
calls = 0
sink = 0.0
begin = time.perf_counter()
while True:
    for start in starts:
        for it in iterators:
            it.set_current(start, force=True)
            sink += it.get_next(float)
    calls += len(starts) * len(iterators)
    elapsed = time.perf_counter() - begin
    if elapsed >= seconds:
        break
rate = calls / elapsed
print(f"python croniter cron: {int(rate)} next-fires/s ({calls} calls in {elapsed:.2f} s)")
print(f"RESULT croniter={int(rate)}")
