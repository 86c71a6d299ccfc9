#!/usr/bin/python3
"""Keep-alive idle cost (issue 5): the release daemon keeps one output alive with a short `idle`
(for: 5 s, bursts of 2 s into ALSA's file plugin writing to /dev/null) for a minute; every thread's
voluntary context switches are counted, so the wake-ups between bursts can be told from the burst
writes themselves. Usage: bench/keepalive/bench.py BINARY_DIR [SECONDS]
"""
import json, os, shutil, subprocess, sys, tempfile, time

BIN = os.path.join(os.path.abspath(sys.argv[1]), "routines")
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 60
d = tempfile.mkdtemp(prefix="routines-keepalive-")
os.makedirs(f"{d}/routines")
with open(f"{d}/asound.conf", "w") as f:
    f.write('pcm.ka { type file slave.pcm { type null } file "/dev/null" format "raw" }\n')
with open(f"{d}/config.json", "w") as f:
    json.dump({"outputs": {"speakers": {"pcm": "ka"}}, "headphoneOutput": "speakers"}, f)
with open(f"{d}/routines/keep-alive.json", "w") as f:
    json.dump({"triggers": [{"idle": "speakers", "for": "5s"}], "actions": [{"keepAlive": {}}]}, f)
env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{d}/asound.conf")
proc = subprocess.Popen([BIN, "daemon", "--routines", f"{d}/routines", "--config", f"{d}/config.json",
                         "--state", f"{d}/state", "--socket", f"{d}/s.sock", "--log-level", "warning"],
                        env=env, stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))


def threads():
    out = {}
    for tid in os.listdir(f"/proc/{proc.pid}/task"):
        try:
            name = open(f"/proc/{proc.pid}/task/{tid}/comm").read().strip()
            switches = next(int(l.split()[1]) for l in open(f"/proc/{proc.pid}/task/{tid}/status")
                            if l.startswith("voluntary_ctxt_switches"))
        except (OSError, StopIteration):
            continue
        out[tid] = (name, switches)
    return out


def cpu():
    fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bursts():
    out = subprocess.run([BIN, "history", "keep-alive", "--json", "--limit", "1000", "--socket", f"{d}/s.sock"],
                         capture_output=True, text=True).stdout
    return len(json.loads(out or "[]"))


try:
    time.sleep(8)
    if proc.poll() is not None:
        raise SystemExit("the daemon exited: " + open(f"{d}/log").read())  # start-up and the first burst
    b0, t0, c0 = bursts(), threads(), cpu()
    # perf counts every thread, also the short-lived ones each timer sleep uses.
    perf = subprocess.run(["perf", "stat", "-x,", "-e", "context-switches,task-clock", "-p", str(proc.pid),
                           "--", "sleep", str(SECONDS)], capture_output=True, text=True)
    b1, t1, c1 = bursts(), threads(), cpu()
    totals = {}
    for line in perf.stderr.splitlines():
        parts = line.split(",")
        if len(parts) > 3 and parts[0].replace(".", "").isdigit():
            totals[parts[2]] = float(parts[0])
    n = max(1, b1 - b0)
    groups = {}
    for tid, (name, after) in t1.items():
        before = t0.get(tid, (name, 0))[1]
        if "overcommit" in name:
            key = "libdispatch manager thread (its workqueue monitor timer, ~1 s)"
        elif "qos" in name:
            key = "libdispatch worker threads (run the engine's Swift tasks)"
        elif name.startswith("routines-timer"):
            key = "routines-timer (the idle timer)"
        elif name.startswith("routines-audio"):
            key = "routines-audio (writes each burst in 50 ms blocks)"
        elif name.startswith("NIO") or name == "routines-daemon":
            key = {"NIO": "NIO event loops", "routines-daemon": "main thread"}.get(name.split("-SGLTN")[0], name)
        else:
            key = name
        groups[key] = groups.get(key, 0) + after - before
    print(f"== keep-alive on an idle output, for: 5 s, 2 s bursts, measured over {SECONDS} s: {b1 - b0} bursts")
    if totals:
        print(f"   CPU {totals.get('task-clock', 0) / n:.3f} ms per burst; context switches (all threads, perf): "
              f"{totals.get('context-switches', 0):.0f} = {totals.get('context-switches', 0) / n:.1f} per burst")
    else:
        print(f"   CPU {1000 * (c1 - c0) / n:.2f} ms per burst (clock ticks of 10 ms; perf not available)")
    for key, count in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"   {key}: {count} voluntary switches = {count / n:.1f} per burst")
finally:
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(d, ignore_errors=True)
