"""CPU split for the sampler tests: hot_a burns 75 % of the CPU time, hot_b 25 %.

Slices are measured with time.process_time, so the split is real CPU time whatever the
machine's load. The cycle (4.37 ms) is short and incommensurate with a 10 ms sampling period,
so successive samples sweep its phase evenly instead of locking onto one function (long or
random slices make neighbouring samples land in the same slice and widen the error).
Usage: split.py SECONDS   (prints "ready" once running, exits after SECONDS)
"""
import sys
import time


def spin(seconds):
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n


def hot_a(slice_s):
    return spin(slice_s * 0.75)


def hot_b(slice_s):
    return spin(slice_s * 0.25)


def work(duration):
    stop = time.monotonic() + duration
    while time.monotonic() < stop:
        slice_s = 0.00437
        hot_a(slice_s)
        hot_b(slice_s)


def main():
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print("ready", flush=True)
    work(duration)


if __name__ == "__main__":
    main()
