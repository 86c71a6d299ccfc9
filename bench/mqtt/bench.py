#!/usr/bin/python3
"""MQTT benchmarks (issue 14), on a Mosquitto broker started here on a free loopback port:
  1. MQTT publish -> run started, against the same trigger over the Unix socket in the same run;
  2. 2,000 QoS 1 trigger messages in one burst: every one recorded in history, throughput;
  3. routines/all/say to three daemons: the spread between their first frames (ALSA file plugin);
  4. a connected, idle daemon with an MQTT keep-alive of 60 s: wake-ups per minute and RSS, against
     the same daemon without MQTT.
Usage: bench/mqtt/bench.py BINARY [--quick]
"""
import json, os, re, shutil, socket, sqlite3, statistics, struct, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
QUICK = "--quick" in sys.argv


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="routines-bench-mqtt-")
        self.port = free_port()
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 10000\n")
        self.proc = subprocess.Popen(["/usr/sbin/mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.01)
        raise SystemExit("mosquitto did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def remaining_length(n):
    out = b""
    while True:
        byte = n % 128
        n //= 128
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def utf8(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


class Publisher:
    """A minimal MQTT 3.1.1 publisher on a raw socket (no client library between the clock and the wire)."""

    def __init__(self, port, client_id):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = utf8("MQTT") + b"\x04\x02" + struct.pack("!H", 60) + utf8(client_id)
        self.sock.sendall(b"\x10" + remaining_length(len(body)) + body)
        assert self.sock.recv(4)[:2] == b"\x20\x02"
        self.mid = 0
        self.acks = 0
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return
            buffer += data
            while len(buffer) >= 4 and buffer[0] == 0x40:
                self.acks += 1
                buffer = buffer[4:]

    def packet(self, topic, payload, qos=1):
        self.mid = self.mid % 65535 + 1
        body = utf8(topic) + (struct.pack("!H", self.mid) if qos else b"") + payload
        return bytes([0x30 | qos << 1]) + remaining_length(len(body)) + body

    def publish(self, topic, payload=b"", qos=1):
        self.sock.sendall(self.packet(topic, payload, qos))


class Daemon:
    def __init__(self, routines, mqtt=None, outputs=None, log_level="warning"):
        self.dir = tempfile.mkdtemp(prefix="routines-bench-")
        self.routines = os.path.join(self.dir, "routines")
        os.makedirs(self.routines)
        for name, text in routines.items():
            with open(os.path.join(self.routines, name), "w") as f:
                f.write(text)
        self.socket = os.path.join(self.dir, "s.sock")
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "log")
        config = {"history": {"keepPerRoutine": 100000}, "timezone": "UTC"}
        if mqtt:
            config["mqtt"] = mqtt
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"))
        if outputs:
            with open(os.path.join(self.dir, "asound.conf"), "w") as f:
                f.write(f'pcm.cap {{ type file slave.pcm "null" file "{self.dir}/speakers.raw" format "raw" truncate false }}\n')
            env["ALSA_CONFIG_PATH"] = f"/usr/share/alsa/alsa.conf:{self.dir}/asound.conf"
            config["outputs"] = {"speakers": {"pcm": "cap"}}
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(config, f)
        self.proc = subprocess.Popen(
            [BIN, "daemon", "--routines", self.routines, "--state", self.state, "--socket", self.socket,
             "--config", os.path.join(self.dir, "config.json"), "--log-level", log_level],
            env=env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        while True:
            try:
                c = UnixHTTP(self.socket)
                c.request("GET", "/status")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit("daemon exited: " + open(self.log).read())
            time.sleep(0.005)

    def runs(self, routine):
        db = sqlite3.connect(os.path.join(self.state, "routines.sqlite"))
        try:
            return [r[0] for r in db.execute("SELECT started_at FROM runs WHERE routine=? ORDER BY id", (routine,))]
        finally:
            db.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(what, condition, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {what}")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(x):
    return f"{x * 1000:.2f} ms"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{os.cpu_count()} cores, {cpu}, load average {os.getloadavg()[0]:.1f} at start"


def online(broker, node):
    """Waits until the daemon's retained availability says online (mosquitto_sub, retained only)."""
    def check():
        out = subprocess.run(
            ["mosquitto_sub", "-p", str(broker.port), "-t", f"routines/{node}/availability", "-C", "1", "-W", "1"],
            capture_output=True, text=True)
        return out.stdout.strip() == "online"
    wait_for(f"{node} online", check, 30)


print(f"== machine: {machine()}")
broker = Broker()
quick = '{"mode":"queued","max":1000,"triggers":[{"event":"never"}],"actions":[{"wait":0}]}'

# 1. Latency: MQTT publish -> run started, and the same trigger over the Unix socket.
d = Daemon({"quick.json": quick}, mqtt={"url": f"mqtt://127.0.0.1:{broker.port}", "node": "bench", "discovery": False})
online(broker, "bench")
pub = Publisher(broker.port, "bench-publisher")
conn = UnixHTTP(d.socket)
rounds = 50 if QUICK else 200
mqtt_lat, socket_lat = [], []
for i in range(rounds):
    before = len(d.runs("quick"))
    t0 = time.time()
    pub.publish("routines/bench/routine/quick/trigger")
    wait_for("the MQTT run", lambda: len(d.runs("quick")) > before)
    mqtt_lat.append(d.runs("quick")[-1] - t0)
    before += 1
    t0 = time.time()
    conn.request("POST", "/routines/quick/trigger", body=b"", headers={"Content-Length": "0"})
    r = conn.getresponse()
    r.read()
    socket_lat.append(d.runs("quick")[-1] - t0)
    time.sleep(0.01)
print(f"== trigger -> run started (history's started_at - send time), {rounds} each, alternating")
print(f"   MQTT publish (QoS 1, via mosquitto):  median {ms(statistics.median(mqtt_lat))}, p99 {ms(pct(mqtt_lat, 99))}")
print(f"   Unix socket POST /routines/quick/trigger: median {ms(statistics.median(socket_lat))}, p99 {ms(pct(socket_lat, 99))}")
print(f"   ratio MQTT/socket (medians) {statistics.median(mqtt_lat) / statistics.median(socket_lat):.2f}")

# 2. Burst: 2,000 QoS 1 trigger messages.
count = 2000
burst = Daemon({"burst.json": '{"mode":"parallel","max":1000,"triggers":[{"event":"never"}],"actions":[{"wait":0}]}'},
               mqtt={"url": f"mqtt://127.0.0.1:{broker.port}", "node": "burst", "discovery": False})
online(broker, "burst")
packets = b"".join(pub.packet("routines/burst/routine/burst/trigger", b"") for _ in range(count))
acks0 = pub.acks
t0 = time.time()
pub.sock.sendall(packets)
sent = time.time() - t0
wait_for("every burst run recorded", lambda: len(burst.runs("burst")) >= count, 120)
elapsed = time.time() - t0
refused = open(burst.log).read().count("trigger dropped")
print(f"== {count} QoS 1 trigger messages in one burst (parallel, max 1000; each run one wait 0)")
print(f"   recorded in history: {len(burst.runs('burst'))} of {count} ({refused} refused by the run mode); "
      f"sent in {ms(sent)}, all recorded after {elapsed:.2f} s = {count / elapsed:.0f} runs/s; PUBACKs {pub.acks - acks0}")
burst.stop()

# 3. routines/all/say to three daemons: spread between their first frames.
rooms = [Daemon({}, mqtt={"url": f"mqtt://127.0.0.1:{broker.port}", "node": f"room{i}", "discovery": False},
                outputs=True, log_level="debug") for i in range(3)]
for i in range(3):
    online(broker, f"room{i}")
frame = re.compile(r"first frame written at (\d+\.\d+)")
spreads = []
for n in range(5 if QUICK else 20):
    counts = [len(frame.findall(open(r.log).read())) for r in rooms]
    pub.publish("routines/all/say", json.dumps({"text": f"Announcement {n}."}).encode())
    wait_for("three first frames", lambda: all(len(frame.findall(open(r.log).read())) > c for r, c in zip(rooms, counts)))
    firsts = [float(frame.findall(open(r.log).read())[c]) for r, c in zip(rooms, counts)]
    spreads.append(max(firsts) - min(firsts))
    time.sleep(1.5)
print(f"== routines/all/say to three daemons ({len(spreads)} announcements; each daemon synthesizes its own)")
print(f"   spread between the first frames: median {ms(statistics.median(spreads))}, max {ms(max(spreads))}")
for r in rooms:
    r.stop()
d.stop()


# 4. Idle: connected with keep-alive 60 s, against the same daemon without MQTT.
def sample(pid):
    switches = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{t}/comm").read().strip()
            switches[t] = (name, next(int(l.split()[1]) for l in open(f"/proc/{pid}/task/{t}/status")
                                      if l.startswith("voluntary_ctxt_switches")))
        except (OSError, StopIteration):
            pass
    rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
    return switches, rss


window = 60 if QUICK else 180
shipped = {n: open(os.path.join("Routines", n)).read() for n in os.listdir("Routines") if n.endswith(".json")}
results = {}
for label, mqtt in (("without MQTT", None),
                    ("with MQTT", {"url": f"mqtt://127.0.0.1:{broker.port}", "node": "idle", "keepAlive": 60})):
    daemon = Daemon(shipped, mqtt=mqtt)
    if mqtt:
        online(broker, "idle")
    time.sleep(3)
    s0, _ = sample(daemon.proc.pid)
    time.sleep(window)
    s1, rss = sample(daemon.proc.pid)
    per_thread = {}
    for tid, (name, after) in s1.items():
        per_thread[name] = per_thread.get(name, 0) + after - s0.get(tid, (name, 0))[1]
    results[label] = (sum(per_thread.values()) * 60 / window, rss, per_thread)
    daemon.stop()
print(f"== idle daemon with the shipped routines over {window} s")
for label, (total, rss, per_thread) in results.items():
    detail = ", ".join(f"{n} {v * 60 / window:.1f}" for n, v in sorted(per_thread.items(), key=lambda kv: -kv[1]) if v)
    print(f"   {label}: {total:.1f} wake-ups/min (voluntary context switches), RSS {rss / 1024:.1f} MB; per thread /min: {detail or 'none'}")
print(f"   MQTT adds {results['with MQTT'][0] - results['without MQTT'][0]:.1f} wake-ups/min and "
      f"{(results['with MQTT'][1] - results['without MQTT'][1]) / 1024:.1f} MB RSS")
broker.stop()
