#!/usr/bin/env python3
"""Overhead of out-of-process Python sampling (cprof's PythonSampler vs py-spy), at 100 Hz.

1. Slowdown: a CPU-bound loop (loop.py, a 30-deep stack) runs SECONDS; its iterations are
   counted with no sampler, with cprof's sampler, with py-spy, alternating, ROUNDS times. Ratio =
   median(with) / median(none).
2. Sampler cost: 8 loop workers sampled at 100 Hz by one PythonSampler (CPU of its thread / samples)
   and by 8 py-spy processes (their user+sys CPU, from getrusage of the children).
Usage: scripts/bench-python.py CLASSPATH [ROUNDS] [SECONDS]   (CLASSPATH: discovery test + main classes
and dependencies, e.g. from `mvn -o -q -pl native-agent/python dependency:build-classpath -Dmdep.outputFile=cp.txt`)
Needs py-spy on PATH or PYSPY=path.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

LOOP = r'''
import sys, time
def leaf(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
def deep(d, n):
    return leaf(n) if d == 0 else deep(d - 1, n)
end = time.monotonic() + float(sys.argv[1])
print("ready", flush=True)
it = 0
while time.monotonic() < end:
    deep(30, 200)
    it += 1
print(it, flush=True)
'''


def start_loop(python, script, seconds):
    p = subprocess.Popen([python, script, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def cprof_sampler(cp, pids, seconds, warmup=0):
    return subprocess.Popen(["java", "-Dwarmup=" + str(warmup), "-cp", cp, "dev.cprof.python.SamplerCost", "10", str(seconds)]
                            + [str(p) for p in pids], stdout=subprocess.PIPE, text=True)


def pyspy(pid, seconds, out):
    return subprocess.Popen([os.environ.get("PYSPY", "py-spy"), "record", "--nonblocking", "-r", "100", "-d",
                             str(int(seconds)), "--format", "raw", "-o", out, "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    cp = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5
    python = os.environ.get("PYTHON", sys.executable)
    tmp = tempfile.mkdtemp()
    script = os.path.join(tmp, "loop.py")
    with open(script, "w") as f:
        f.write(LOOP)
    results = {"none": [], "cprof": [], "py-spy": []}
    for r in range(rounds):
        for mode in ("none", "cprof", "py-spy"):
            p = start_loop(python, script, seconds)
            s = None
            if mode == "cprof":
                s = cprof_sampler(cp, [p.pid], seconds + 1)  # includes the JVM's start: a worst case
            elif mode == "py-spy":
                s = pyspy(p.pid, seconds + 1, os.path.join(tmp, "spy.txt"))
            results[mode].append(int(p.stdout.readline()))
            p.wait()
            if s:
                s.wait()
    base = statistics.median(results["none"])
    print(f"python {python}: {rounds} alternating rounds of {seconds:.0f} s, loop iterations:")
    for mode, v in results.items():
        print(f"  {mode:7s} median {statistics.median(v):9.0f}  ratio {statistics.median(v) / base:.3f}  runs {v}")

    # Sampler cost with 8 workers.
    workers = [start_loop(python, script, seconds + 8) for _ in range(8)]
    s = cprof_sampler(cp, [w.pid for w in workers], seconds, warmup=3)
    line = s.stdout.readline().strip()
    s.wait()
    for w in workers:
        w.kill()
        w.wait()
    print(f"  cprof PythonSampler, 8 workers, 100 Hz, {seconds:.0f} s: {line}")
    workers = [start_loop(python, script, seconds + 4) for _ in range(8)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spies = [pyspy(w.pid, seconds, os.path.join(tmp, f"spy{i}.txt")) for i, w in enumerate(workers)]
    for sp in spies:
        sp.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for w in workers:
        w.kill()
        w.wait()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    samples = 0
    for i in range(8):
        try:
            with open(os.path.join(tmp, f"spy{i}.txt")) as f:
                samples += sum(int(l.rsplit(" ", 1)[1]) for l in f if l.strip())
        except OSError:
            pass
    print(f"  py-spy x8, 100 Hz, {seconds:.0f} s: samples={samples} cpu_ms={cpu * 1000:.1f}"
          f" us_per_sample={cpu * 1e6 / max(samples, 1):.1f}")


if __name__ == "__main__":
    main()
