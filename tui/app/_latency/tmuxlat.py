#!/usr/bin/python3
"""Key → screen latency of the basin app through tmux, as a user sees it.

Starts `BASIN --pretrained --preset standard --grid 61` in a 160×48 tmux
session, opens the 2D view (its scan starts), then sends cursor keys with
`tmux send-keys` and polls `tmux capture-pane` until the status line (the
cursor's α, β) changes: 20 keys right and 20 left while the scan runs, and
again once it is done. Prints p50 and p95 in milliseconds. The polling and
tmux's own redraw are part of every figure, so compare the two phases:

    go build -o /tmp/basin . && python3 tui/_latency/tmuxlat.py /tmp/basin
"""
import subprocess, sys, time

SESSION = "basin-latency"


def capture():
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True).stdout


def status(screen):
    for line in screen.split("\n"):
        if line.startswith("α "):
            return line.split("│")[0]
    return None


def measure(n, key):
    lat = []
    for _ in range(n):
        before = status(capture())
        t = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", SESSION, key])
        while time.perf_counter() - t < 2:
            s = status(capture())
            if s is not None and s != before:
                break
        lat.append((time.perf_counter() - t) * 1000)
        time.sleep(0.15)
    lat.sort()
    return lat[len(lat) // 2], lat[int(len(lat) * 0.95) - 1]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tmuxlat.py PATH-TO-BASIN")
    subprocess.run(["tmux", "kill-session", "-t", SESSION], stderr=subprocess.DEVNULL)
    subprocess.run(["tmux", "new", "-d", "-s", SESSION, "-x", "160", "-y", "48",
                    sys.argv[1] + " --pretrained --preset standard --grid 61"], check=True)
    try:
        time.sleep(3)
        subprocess.run(["tmux", "send-keys", "-t", SESSION, "3"])
        time.sleep(3)
        print("during the scan: p50 %.0f p95 %.0f ms (right), p50 %.0f p95 %.0f ms (left)"
              % (measure(20, "Right") + measure(20, "Left")))
        for _ in range(300):
            if "done" in capture():
                break
            time.sleep(1)
        print("idle:            p50 %.0f p95 %.0f ms (right), p50 %.0f p95 %.0f ms (left)"
              % (measure(20, "Right") + measure(20, "Left")))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION])


if __name__ == "__main__":
    main()
