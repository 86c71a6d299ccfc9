#!/usr/bin/python3
"""Two daemon builds side by side in one run (issue 18, items 4 and 5), so a change is measured
against the build before it under the same load: control API -> first tone frame (each run opens
the PCM anew: the requests wait out the 2 s linger) and triggers through one connection (each row
committed before its 202), with the daemon's CPU and context switches per trigger.

usage: ab.py BIN_DIR_A BIN_DIR_B [frames N] [triggers N ROUNDS] [cclient PATH] [connections N]
(connections: N triggers each on a new connection, as `routines trigger` and curl make them:
connect -> reply read, median and p90)
(cclient: bench/compare/trigger.c built; the triggers then go through it instead of Python's
http.client, whose own cost per request is most of a round trip here)
(BIN_DIR: a folder with `routines` and `routines-daemon`, e.g. copies of release builds)"""
import json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BINS = [os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])]
args = sys.argv[3:]
FRAMES = int(args[args.index("frames") + 1]) if "frames" in args else 0
TRIGGERS = int(args[args.index("triggers") + 1]) if "triggers" in args else 0
ROUNDS = int(args[args.index("triggers") + 2]) if "triggers" in args else 0
CONNECTIONS = int(args[args.index("connections") + 1]) if "connections" in args else 0
CCLIENT = os.path.abspath(args[args.index("cclient") + 1]) if "cclient" in args else None


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def load():
    return open("/proc/loadavg").read().split()[0]


class Daemon:
    def __init__(self, bin_dir, routines, debug=False):
        self.dir = tempfile.mkdtemp(prefix="routines-ab-")
        os.makedirs(os.path.join(self.dir, "routines"))
        for name, text in routines.items():
            open(os.path.join(self.dir, "routines", name), "w").write(text)
        asound = os.path.join(self.dir, "asound.conf")
        open(asound, "w").write('pcm.cmp { type file slave.pcm "null" file "/dev/null" format "raw" }\n')
        env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{asound}",
                   XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"))
        json.dump({"outputs": {"speakers": {"pcm": "cmp"}, "headphones": {"pcm": "cmp"}}},
                  open(os.path.join(self.dir, "config.json"), "w"))
        self.socket = os.path.join(self.dir, "s.sock")
        self.log = os.path.join(self.dir, "log")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "routines-daemon"), "--routines", os.path.join(self.dir, "routines"),
             "--state", os.path.join(self.dir, "state"), "--socket", self.socket,
             "--config", os.path.join(self.dir, "config.json"), "--log-level", "debug" if debug else "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        for _ in range(2000):
            try:
                c = UnixHTTP(self.socket)
                c.request("GET", "/status")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.005)
        else:
            raise SystemExit("daemon did not start: " + open(self.log).read())
        self.logfile = open(self.log)
        self.logfile.seek(0, os.SEEK_END)

    def cpu_and_switches(self):
        """CPU seconds of the process, and voluntary + involuntary switches summed over its threads."""
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        switches = 0
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                for line in open(f"/proc/{self.proc.pid}/task/{task}/status"):
                    if "ctxt_switches" in line:
                        switches += int(line.split()[1])
            except OSError:
                pass
        return cpu, switches

    def first_frame(self):
        c = UnixHTTP(self.socket)
        c.connect()
        t0 = time.time()
        c.request("POST", "/routines/beep/trigger", body=b"{}")
        c.getresponse().read()
        deadline = time.time() + 10
        while time.time() < deadline:
            line = self.logfile.readline()
            if "first frame written at " in line:
                return float(line.split("first frame written at ")[1].split()[0]) - t0
            if not line:
                time.sleep(0.0005)
        return None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


print(f"== ab: A={BINS[0]} B={BINS[1]}; {os.cpu_count()} cores, load {load()}", flush=True)
if FRAMES:
    beep = json.dumps({"mode": "queued", "triggers": [{"event": "x"}],
                       "actions": [{"tone": {"frequency": 880, "duration": "100ms", "level": -20}}]})
    daemons = [Daemon(b, {"beep.json": beep}, debug=True) for b in BINS]
    found = [[], []]
    for i in range(FRAMES):
        time.sleep(2.3)  # the linger expires: every run opens the PCM anew
        for k in ((0, 1) if i % 2 == 0 else (1, 0)):
            t = daemons[k].first_frame()
            if t is not None:
                found[k].append(t * 1000)
    for d in daemons:
        d.stop()
    for k, name in enumerate("AB"):
        v = found[k]
        print(f"   first frame {name}: median {statistics.median(v):.3f} ms, p90 {p(v, 0.9):.3f}, "
              f"p99 {p(v, 0.99):.3f}, min {min(v):.3f} ({len(v)} runs)")
    print(f"   ratio A/B medians {statistics.median(found[0]) / statistics.median(found[1]):.3f}; load {load()}")
if TRIGGERS:
    quick = '{"mode":"parallel","max":1000,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}'
    daemons = [Daemon(b, {"quick.json": quick}) for b in BINS]
    conns = [UnixHTTP(d.socket) for d in daemons]
    print(f"   triggers through one connection: {'C client' if CCLIENT else 'Python http.client'}")
    rates, cpus, switches = [[], []], [[], []], [[], []]
    for r in range(ROUNDS):
        for k in ((0, 1) if r % 2 == 0 else (1, 0)):
            cpu0, sw0 = daemons[k].cpu_and_switches()
            if CCLIENT:
                out = subprocess.run([CCLIENT, daemons[k].socket, "quick", str(TRIGGERS)], check=True,
                                     capture_output=True, text=True).stdout
                rates[k].append(float(out))
            else:
                t0 = time.perf_counter()
                for _ in range(TRIGGERS):
                    conns[k].request("POST", "/routines/quick/trigger", body=b"{}")
                    resp = conns[k].getresponse()
                    resp.read()
                    assert resp.status == 202, resp.status
                rates[k].append(TRIGGERS / (time.perf_counter() - t0))
            cpu1, sw1 = daemons[k].cpu_and_switches()
            cpus[k].append((cpu1 - cpu0) / TRIGGERS * 1000)
            switches[k].append((sw1 - sw0) / TRIGGERS)
    for d in daemons:
        d.stop()
    for k, name in enumerate("AB"):
        print(f"   triggers/s {name}: best {max(rates[k]):.0f}, median {statistics.median(rates[k]):.0f} "
              f"({' '.join(f'{x:.0f}' for x in rates[k])}); daemon CPU {statistics.median(cpus[k]):.3f} ms/trigger; "
              f"switches {statistics.median(switches[k]):.2f}/trigger")
    print(f"   ratio B/A best {max(rates[1]) / max(rates[0]):.3f}, median "
          f"{statistics.median(rates[1]) / statistics.median(rates[0]):.3f}; load {load()}")
if CONNECTIONS:
    quick = '{"mode":"parallel","max":1000,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}'
    daemons = [Daemon(b, {"quick.json": quick}) for b in BINS]
    request = b"POST /routines/quick/trigger HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    took = [[], []]
    for i in range(CONNECTIONS):
        for k in ((0, 1) if i % 2 == 0 else (1, 0)):
            t0 = time.perf_counter()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(daemons[k].socket)
            s.sendall(request)
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
            s.close()
            took[k].append((time.perf_counter() - t0) * 1000)
            assert reply[9:12] == b"202", reply
            time.sleep(0.002)
    for d in daemons:
        d.stop()
    for k, name in enumerate("AB"):
        v = took[k]
        print(f"   new connection -> 202 read {name}: median {statistics.median(v):.3f} ms, p90 {p(v, 0.9):.3f}, "
              f"min {min(v):.3f} ({len(v)} requests)")
    print(f"   ratio A/B medians {statistics.median(took[0]) / statistics.median(took[1]):.3f}; load {load()}")
