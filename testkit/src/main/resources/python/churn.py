"""Stacks that change all the time, for the race tests: the main thread recurses to a random
depth (1..MAX_DEPTH) over and over; a second thread sleeps (idle for a CPU sampler).
Usage: churn.py SECONDS MAX_DEPTH   (prints "ready" once running)
"""
import random
import sys
import threading
import time


def sleeper():
    time.sleep(120)


def down(n):
    if n == 0:
        end = time.process_time() + 0.0003
        while time.process_time() < end:
            pass
        return 0
    return down(n - 1)


def churn(duration, max_depth):
    stop = time.monotonic() + duration
    while time.monotonic() < stop:
        down(random.randint(1, max_depth))


def main():
    duration = float(sys.argv[1])
    max_depth = int(sys.argv[2])
    sys.setrecursionlimit(max_depth + 100)
    threading.Thread(target=sleeper, name="sleeper", daemon=True).start()
    print("ready", flush=True)
    churn(duration, max_depth)


if __name__ == "__main__":
    main()
