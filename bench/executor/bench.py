#!/usr/bin/python3
"""The daemon's global executor (issue 16 item 3): its own pool (`GlobalExecutor`), SwiftNIO's
event loops (the takeover SwiftNIO ships) and Swift's default (libdispatch), side by side in one
run, chosen with ROUTINES_EXECUTOR. For each: idle wake-ups per minute by thread (shipped routines),
control API -> first frame of a short tone, and triggers/s through one connection with each row
committed before its reply. usage: bench.py BIN_DIR [--quick]"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
QUICK = "--quick" in sys.argv
KINDS = ["pool", "nio", "dispatch"]


class Daemon:
    def __init__(self, kind, routines, debug=False):
        self.dir = tempfile.mkdtemp(prefix="routines-executor-")
        folder = os.path.join(self.dir, "routines")
        os.makedirs(folder)
        for name, text in routines.items():
            open(os.path.join(folder, name), "w").write(text)
        asound = os.path.join(self.dir, "asound.conf")
        open(asound, "w").write('pcm.cmp { type file slave.pcm "null" file "/dev/null" format "raw" }\n')
        env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{asound}",
                   XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"), ROUTINES_EXECUTOR=kind)
        json.dump({"outputs": {"speakers": {"pcm": "cmp"}, "headphones": {"pcm": "cmp"}}},
                  open(os.path.join(self.dir, "config.json"), "w"))
        self.socket = os.path.join(self.dir, "s.sock")
        self.log = os.path.join(self.dir, "log")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "routines"), "daemon", "--routines", folder, "--state", os.path.join(self.dir, "state"),
             "--socket", self.socket, "--config", os.path.join(self.dir, "config.json"),
             "--log-level", "debug" if debug else "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        for _ in range(2000):
            try:
                c = UnixHTTP(self.socket)
                c.request("GET", "/status")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.005)
        raise SystemExit("daemon did not start: " + open(self.log).read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def switches(pid):
    """Voluntary context switches by thread id: (name, count)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            count = next(int(l.split()[1]) for l in open(f"/proc/{pid}/task/{tid}/status")
                         if l.startswith("voluntary_ctxt_switches"))
            out[tid] = (name, count)
        except (OSError, StopIteration):
            pass
    return out


def rss_mb(pid):
    return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")) / 1024


shipped = {n: open(os.path.join("Routines", n)).read() for n in os.listdir("Routines") if n.endswith(".json")}
window = 20 if QUICK else 60
results = {}
print(f"== global executor: {os.cpu_count()} cores, load {open('/proc/loadavg').read().split()[0]}", file=sys.stderr)
for kind in KINDS:
    r = results[kind] = {}
    # Idle: wake-ups per minute by thread, after a few API calls (so every lazily started thread exists).
    d = Daemon(kind, shipped)
    for path in ["/status", "/routines", "/next", "/history"]:
        c = UnixHTTP(d.socket)
        c.request("GET", path)
        c.getresponse().read()
        c.close()
    time.sleep(12)  # past every connection deadline of the calls above
    before = switches(d.proc.pid)
    time.sleep(window)
    after = switches(d.proc.pid)
    by_name = {}
    for tid, (name, count) in after.items():
        by_name[name] = by_name.get(name, 0) + count - before.get(tid, (name, 0))[1]
    r["idle"] = {n: v * 60 / window for n, v in by_name.items() if v}
    r["threads"] = len(after)
    r["rss"] = rss_mb(d.proc.pid)
    d.stop()
    print(f"   {kind}: idle wake-ups/min {r['idle'] or 0}, {r['threads']} threads, RSS {r['rss']:.1f} MB", file=sys.stderr)

# API -> first frame and throughput, the executors alternating run by run.
tone = {"beep.json": json.dumps({"mode": "queued", "triggers": [{"event": "x"}],
                                 "actions": [{"tone": {"frequency": 880, "duration": "100ms", "level": -20}}]}),
        "quick.json": '{"mode":"parallel","max":1000,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}'}
daemons = {kind: Daemon(kind, tone, debug=True) for kind in KINDS}
logs = {kind: open(daemons[kind].log) for kind in KINDS}
pattern = re.compile(r"first frame written at (\d+\.\d+)")
first = {kind: [] for kind in KINDS}
for _ in range(15 if QUICK else 40):
    for kind in KINDS:
        time.sleep(2.3 / len(KINDS))  # the player's linger expires: every run opens the PCM anew
        c = UnixHTTP(daemons[kind].socket)
        c.connect()
        t0 = time.time()
        c.request("POST", "/routines/beep/trigger", body=b"{}")
        c.getresponse().read()
        deadline = time.time() + 5
        while time.time() < deadline:
            line = logs[kind].readline()
            m = pattern.search(line) if line else None
            if m:
                first[kind].append(float(m.group(1)) - t0)
                break
            if not line:
                time.sleep(0.0005)
rates = {kind: [] for kind in KINDS}
count = 1000 if QUICK else 3000
for _ in range(3):
    for kind in KINDS:
        conn = UnixHTTP(daemons[kind].socket)
        t0 = time.perf_counter()
        for _ in range(count):
            conn.request("POST", "/routines/quick/trigger", body=b"{}")
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 202, resp.status
        rates[kind].append(count / (time.perf_counter() - t0))
for d in daemons.values():
    d.stop()

print(f"Measured at load {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cores:")
print()
print("| executor | idle wake-ups/min (by thread) | threads | idle RSS | API -> first frame median (p90) | triggers/s, best of 3 (all) |")
print("|---|---|---|---|---|---|")
for kind in KINDS:
    r = results[kind]
    idle = ", ".join(f"{n} {v:.1f}" for n, v in sorted(r["idle"].items(), key=lambda kv: -kv[1])) or "0"
    f = sorted(first[kind])
    p90 = f[int(0.9 * (len(f) - 1))] if f else float("nan")
    print(f"| {kind} | {idle} | {r['threads']} | {r['rss']:.1f} MB | {statistics.median(f) * 1000:.2f} ms ({p90 * 1000:.2f}) "
          f"| {max(rates[kind]):.0f} ({', '.join(f'{x:.0f}' for x in rates[kind])}) |")
