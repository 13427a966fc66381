"""Measure what the resource sampler itself costs while it watches a process tree.

Usage: python benchmarks/monitor_overhead.py [--duration 10] [--children 4] [--budget 1.0]

Starts a parent process with `--children` children (each with a few threads doing light work,
like a model server's workers), watches that tree with `ResourceMonitor` at 4 Hz and at 20 Hz for
`--duration` seconds each, and prints the sampler thread's CPU use in percent of one core. Exits 1
when the 4 Hz figure exceeds `--budget` percent.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import psutil

from flperf.bench.monitor import ResourceMonitor

# Children each run a few threads that wake briefly every 50 ms.
_TREE = """
import subprocess, sys, threading, time
WORKER = '''
import threading, time
def tick():
    while True:
        sum(range(2000)); time.sleep(0.05)
for _ in range(3):
    threading.Thread(target=tick, daemon=True).start()
time.sleep(3600)
'''
children = [subprocess.Popen([sys.executable, "-c", WORKER]) for _ in range(int(sys.argv[1]))]
print("ready", flush=True)
sys.stdin.read()
for child in children:
    child.kill()
    child.wait()
"""


def _measure(root: int, hz: float, duration_s: float) -> tuple[float, int, float]:
    monitor = ResourceMonitor([root], interval_s=1 / hz)
    monitor.start()
    time.sleep(duration_s)
    summary = monitor.stop()
    samples = monitor.samples
    tree = max((s.proc_count or 0) for s in samples)
    return summary.sampler_cpu_percent or 0.0, len(samples), float(tree)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    parser.add_argument("--children", type=int, default=4, help="child processes in the tree")
    parser.add_argument("--budget", type=float, default=1.0, help="max %% of one core at 4 Hz")
    args = parser.parse_args()

    tree = subprocess.Popen(
        [sys.executable, "-c", _TREE, str(args.children)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert tree.stdout is not None
        tree.stdout.readline()
        print(
            f"watching a tree of {args.children + 1} processes; "
            f"{len(psutil.pids())} processes on this machine; {psutil.cpu_count()} logical CPUs"
        )
        print(f"{'rate':>6} {'samples':>8} {'tree':>5} {'sampler CPU % of one core':>27}")
        results = {}
        for hz in (4.0, 20.0):
            percent, count, size = _measure(tree.pid, hz, args.duration)
            results[hz] = percent
            print(f"{hz:>4g}Hz {count:>8} {size:>5g} {percent:>27.3f}")
    finally:
        if tree.stdin is not None:
            tree.stdin.close()
        tree.wait(timeout=10)
    ok = results[4.0] < args.budget
    print(f"4 Hz budget {args.budget} %: {'met' if ok else 'EXCEEDED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
