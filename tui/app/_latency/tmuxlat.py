#!/usr/bin/python3
"""Key → screen latency of the basin app through tmux, as a user sees it.

Starts `BASIN --pretrained --preset standard --grid 61` in a tmux session
(160×48 unless --size says otherwise), opens the 2D view (its scan starts),
then sends cursor keys and times each until tmux has the frame whose status
line shows the cursor's new α, β: 20 keys right and 20 left while the scan
runs, and again once it is done. Prints p50 and p95 in milliseconds and the
median bytes of a key's frame.

Two ways to watch the screen:

  control (default)  a tmux control-mode client (`tmux -C attach`): keys
                     are `send-keys` commands on its stdin, and the frame
                     arrives as `%output` lines the moment tmux reads it
                     from the app. Nothing is polled, so the figure is the
                     app plus tmux.
  poll               `tmux send-keys` and `tmux capture-pane` as separate
                     processes, polling until the status line changes. Each
                     tmux process costs about 14 ms here, so this adds
                     ~14 ms to send and ~7-14 ms of polling granularity to
                     every figure: compare its two phases, not its values.

    go build -o /tmp/basin . && python3 tui/app/_latency/tmuxlat.py /tmp/basin
"""
import argparse, queue, re, subprocess, threading, time

SESSION = "basin-latency"
STATUS = re.compile(r"α -?[0-9.e+-]+ β -?[0-9.e+-]+")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
OCTAL = re.compile(rb"\\([0-7]{3})")


def capture():
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True).stdout


def status(screen):
    m = STATUS.search(screen)
    return m.group(0) if m else None


def percentiles(lat):
    lat = sorted(lat)
    return lat[len(lat) // 2], lat[int(len(lat) * 0.95) - 1]


class Poll:
    """send-keys and capture-pane as processes of their own."""

    def key(self, key):
        before = status(capture())
        t = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", SESSION, key])
        while time.perf_counter() - t < 2:
            s = status(capture())
            if s is not None and s != before:
                break
        return (time.perf_counter() - t) * 1000, 0


class Control:
    """One control-mode client: commands in, the pane's output out."""

    def __init__(self):
        self.proc = subprocess.Popen(["tmux", "-C", "attach", "-t", SESSION],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        # Buffered: reading a control stream a byte at a time is slow
        # enough to show up in the figures.
        self.out = open(self.proc.stdout.fileno(), "rb", buffering=1 << 16, closefd=False)
        self.q = queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in iter(self.out.readline, b""):
            t = time.perf_counter()
            if line.startswith(b"%output "):
                data = line.split(b" ", 2)[2].rstrip(b"\n")
                self.q.put((t, OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), data)))

    def key(self, key):
        before = status(capture())
        while not self.q.empty():
            self.q.get()
        seen = b""
        t0 = time.perf_counter()
        self.proc.stdin.write(("send-keys -t %s %s\n" % (SESSION, key)).encode())
        while time.perf_counter() - t0 < 2:
            try:
                t, data = self.q.get(timeout=0.5)
            except queue.Empty:
                continue
            seen += data
            text = ANSI.sub("", seen.decode("utf-8", "replace"))
            if any(m.group(0) != before for m in STATUS.finditer(text)):
                return (t - t0) * 1000, len(seen)
        return 2000, len(seen)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=5)


def measure(watch, n):
    lat, size = [], []
    for key in ["Right"] * n + ["Left"] * n:
        ms, b = watch.key(key)
        lat.append(ms)
        size.append(b)
        time.sleep(0.15)
    p50, p95 = percentiles(lat)
    return "p50 %.1f p95 %.1f ms, %d bytes a key" % (p50, p95, sorted(size)[len(size) // 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("basin", help="path to the basin binary")
    ap.add_argument("--method", choices=["control", "poll"], default="control")
    ap.add_argument("--size", default="160x48", help="terminal size, WxH")
    ap.add_argument("--keys", type=int, default=20, help="keys each way per phase")
    a = ap.parse_args()
    m = re.fullmatch(r"([0-9]+)x([0-9]+)", a.size)
    if not m:
        ap.error("--size %r: give the terminal as WxH, e.g. 160x48" % a.size)
    w, h = m.groups()
    subprocess.run(["tmux", "kill-session", "-t", SESSION], stderr=subprocess.DEVNULL)
    subprocess.run(["tmux", "new", "-d", "-s", SESSION, "-x", w, "-y", h,
                    a.basin + " --pretrained --preset standard --grid 61"], check=True)
    watch = None
    try:
        watch = Control() if a.method == "control" else Poll()
        time.sleep(3)
        subprocess.run(["tmux", "send-keys", "-t", SESSION, "3"])
        time.sleep(3)
        print("%s %s, during the scan: %s" % (a.method, a.size, measure(watch, a.keys)), flush=True)
        for _ in range(600):
            if "done" in capture():
                break
            time.sleep(1)
        print("%s %s, idle:            %s" % (a.method, a.size, measure(watch, a.keys)), flush=True)
    finally:
        if isinstance(watch, Control):
            watch.close()
        subprocess.run(["tmux", "kill-session", "-t", SESSION])


if __name__ == "__main__":
    main()
