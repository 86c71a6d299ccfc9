#!/usr/bin/python3
"""Stop and acknowledgement benchmarks (issue 12), against the release daemon:
  1. POST /routines/NAME/stop -> reply (runs ended, audio stopped), through ALSA's file plugin;
  2. triggers through one persistent connection, each acknowledged only after its history row is
     committed (group commit), next to the same loop with curl spawned per request;
  3. acknowledged triggers lost over 20 random kill -9s under trigger load (must be 0).
Usage: bench/stop/bench.py BINARY"""
import http.client, json, os, random, shutil, sqlite3, statistics, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


class Daemon:
    def __init__(self, routines, config=None, asound=False):
        self.dir = tempfile.mkdtemp(prefix="routines-stop-bench-")
        self.routines = os.path.join(self.dir, "routines")
        os.makedirs(self.routines)
        for name, text in routines.items():
            open(os.path.join(self.routines, name), "w").write(text)
        self.socket = os.path.join(self.dir, "s.sock")
        self.state = os.path.join(self.dir, "state")
        self.env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"))
        self.args = []
        if asound:
            conf = os.path.join(self.dir, "asound.conf")
            open(conf, "w").write('pcm.cap { type file slave.pcm "null" file "/dev/null" format "raw" }\n')
            self.env["ALSA_CONFIG_PATH"] = "/usr/share/alsa/alsa.conf:" + conf
            config = dict(config or {}, outputs={"speakers": {"pcm": "cap"}, "headphones": {"pcm": "cap"}})
        if config:
            path = os.path.join(self.dir, "config.json")
            json.dump(config, open(path, "w"))
            self.args = ["--config", path]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [BIN, "daemon", "--routines", self.routines, "--state", self.state, "--socket", self.socket,
             "--log-level", "warning"] + self.args,
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "log"), "a"))
        for _ in range(5000):
            try:
                c = UnixHTTP(self.socket)
                c.request("GET", "/status")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.002)
        raise SystemExit("daemon did not start: " + open(os.path.join(self.dir, "log")).read())

    def stop(self, remove=True):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)


# 1. Stop latency through the API.
d = Daemon({"alarm.json": '{"triggers":[{"event":"x"}],"actions":[{"tone":{"frequency":440,"duration":"30s"}}]}'},
           asound=True)
d.start()
conn = UnixHTTP(d.socket)
took = []
for _ in range(30):
    conn.request("POST", "/routines/alarm/trigger", body=b"{}")
    r = conn.getresponse(); r.read()
    time.sleep(random.uniform(0.2, 0.6))
    t0 = time.perf_counter()
    conn.request("POST", "/routines/alarm/stop", body=b"")
    r = conn.getresponse(); body = json.loads(r.read())
    took.append(time.perf_counter() - t0)
    assert body["stopped"], body
d.stop()
print(f"== POST /routines/NAME/stop -> reply (runs ended, their audio stopped, rows written), {len(took)} stops")
print(f"   median {statistics.median(took) * 1000:.2f} ms, p99 {pct(took, 99) * 1000:.2f} ms")

# 2. Triggers through one persistent connection, each committed before its reply (default history size).
d = Daemon({"quick.json": '{"mode":"parallel","max":1000,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}'})
d.start()
conn = UnixHTTP(d.socket)
count = 5000
t0 = time.perf_counter()
for _ in range(count):
    conn.request("POST", "/routines/quick/trigger", body=b"{}")
    r = conn.getresponse(); r.read()
    assert r.status == 202, r.status
elapsed = time.perf_counter() - t0
curl_n = 200
t1 = time.perf_counter()
for _ in range(curl_n):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--unix-socket", d.socket, "-X", "POST",
                    "http://localhost/routines/quick/trigger"], check=True)
curl_elapsed = time.perf_counter() - t1
rate, curl_rate = count / elapsed, curl_n / curl_elapsed
print(f"== triggers through one persistent connection, row committed before each 202: {count} in {elapsed:.2f} s "
      f"= {rate:.0f}/s (curl per request: {curl_rate:.0f}/s, ratio {rate / curl_rate:.1f}x)")
d.stop()

# 3. kill -9 under trigger load: every acknowledged run must be in the history.
d = Daemon({"quick.json": '{"mode":"parallel","max":1000,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}'},
           config={"history": {"keepPerRoutine": 100000}})
acked = []
kills = 20
for _ in range(kills):
    d.start()
    stop_at = time.perf_counter() + random.uniform(0.1, 0.6)
    conn = UnixHTTP(d.socket)
    killed = False
    while True:
        if not killed and time.perf_counter() >= stop_at:
            d.proc.kill()
            killed = True
        try:
            conn.request("POST", "/routines/quick/trigger", body=b"{}")
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException):
            break
        if r.status == 202:
            acked.append(json.loads(body)["run"])
    d.proc.wait()
db = sqlite3.connect(os.path.join(d.state, "routines.sqlite"))
recorded = {row[0] for row in db.execute("SELECT id FROM runs WHERE routine = 'quick'")}
lost = [a for a in acked if a not in recorded]
print(f"== kill -9 under trigger load: {kills} kills, {len(acked)} acknowledged triggers, {len(lost)} missing from history")
d.stop()
