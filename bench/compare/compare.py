#!/usr/bin/python3
"""Side by side (issue 18): each figure of routines next to what a user would otherwise use, measured
in the same run on this machine, printed as one Markdown table. usage: compare.py BIN_DIR TRIGGER_C_CLIENT [--quick] [--rss-only]"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
CCLIENT = os.path.abspath(sys.argv[2])
QUICK = "--quick" in sys.argv
ROWS = []


def row(figure, ours, peer, ratio, note=""):
    ROWS.append((figure, ours, peer, ratio, note))
    print(f"   {figure}: {ours} | {peer} | {ratio}", file=sys.stderr)


def table():
    print("| figure | routines | peer in the same run | ratio |")
    print("|---|---|---|---|")
    for figure, ours, peer, ratio, note in ROWS:
        print(f"| {figure} | {ours} | {peer}{' (' + note + ')' if note else ''} | {ratio} |")


def med(values):
    return statistics.median(values)


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Daemon:
    def __init__(self, routines, config=None, debug=False, bin_dir=None):
        self.dir = tempfile.mkdtemp(prefix="routines-compare-")
        self.routines = os.path.join(self.dir, "routines")
        os.makedirs(self.routines)
        for name, text in routines.items():
            open(os.path.join(self.routines, name), "w").write(text)
        asound = os.path.join(self.dir, "asound.conf")
        open(asound, "w").write('pcm.cmp { type file slave.pcm "null" file "/dev/null" format "raw" }\n')
        self.env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{asound}",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"))
        config = dict(config or {}, outputs={"speakers": {"pcm": "cmp"}, "headphones": {"pcm": "cmp"}})
        json.dump(config, open(os.path.join(self.dir, "config.json"), "w"))
        self.socket = os.path.join(self.dir, "s.sock")
        self.log = os.path.join(self.dir, "log")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir or BIN, "routines"), "daemon", "--routines", self.routines, "--state", os.path.join(self.dir, "state"),
             "--socket", self.socket, "--config", os.path.join(self.dir, "config.json"),
             "--log-level", "debug" if debug else "warning"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
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


print(f"== compare: {os.cpu_count()} cores, load {open('/proc/loadavg').read().split()[0]}", file=sys.stderr)

# 1. Idle RSS with the shipped routines, as installed (the binaries copied with `install`, as
#    `make install` does), next to cron (Debian's, started here with one crontab line).
shipped = {n: open(os.path.join("Routines", n)).read() for n in os.listdir("Routines") if n.endswith(".json")}
prefix = tempfile.mkdtemp(prefix="routines-compare-prefix-")
subprocess.run(["install", "-m", "0755", os.path.join(BIN, "routines"), os.path.join(BIN, "routines-daemon"), prefix],
               check=True)
d = Daemon(shipped, bin_dir=prefix)
time.sleep(3)
ours = rss_kb(d.proc.pid) / 1024
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smaps
print(smaps.report(d.proc.pid), file=sys.stderr)
if os.geteuid() == 0:  # the binary's resident sections need /proc/PID/pagemap
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rss"))
    import sections
    print(sections.report(d.proc.pid), file=sys.stderr)
d.stop()
shutil.rmtree(prefix, ignore_errors=True)
cron_rss = None
if shutil.which("cron"):
    crondir = tempfile.mkdtemp(prefix="routines-cron-")
    cron = subprocess.Popen(["cron", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    if cron.poll() is None:
        cron_rss = rss_kb(cron.pid) / 1024
        cron.terminate()
        cron.wait()
    shutil.rmtree(crondir, ignore_errors=True)
row("idle RSS, shipped routines (static release build, installed)", f"{ours:.1f} MB",
    f"cron {cron_rss:.1f} MB" if cron_rss else "cron: not installed", f"{ours / cron_rss:.1f}x cron's" if cron_rss else "-",
    "Home Assistant idles at 118 MB (issue 18)")
if "--rss-only" in sys.argv:  # bench/rss/run.sh: this row alone
    table()
    sys.exit(0)

# 2. `routines trigger` as a whole process, next to curl and a plain C client (the floor).
d = Daemon({"quick.json": '{"mode":"parallel","max":1000,"triggers":[{"event":"go"}],"actions":[{"wait":0}]}'})
env = dict(os.environ, ROUTINES_SOCKET=d.socket)
runs = 30 if QUICK else 100
cli, curl, cc = [], [], []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run([os.path.join(BIN, "routines"), "trigger", "quick"], env=env, stdout=subprocess.DEVNULL, check=True)
    cli.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--unix-socket", d.socket, "-X", "POST",
                    "http://localhost/routines/quick/trigger"], check=True)
    curl.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    subprocess.run([CCLIENT, d.socket, "quick"], check=True)
    cc.append(time.perf_counter() - t0)
row("`routines trigger` as a whole process (median)", f"{med(cli) * 1000:.1f} ms",
    f"curl --unix-socket {med(curl) * 1000:.1f} ms; C client {med(cc) * 1000:.1f} ms",
    f"{med(curl) / med(cli):.2f}x faster than curl; {med(cli) / med(cc):.1f}x the C floor")

# 5. Triggers through one persistent connection (each row committed before its 202), next to curl.
conn = UnixHTTP(d.socket)
count = 2000 if QUICK else 5000
t0 = time.perf_counter()
for _ in range(count):
    conn.request("POST", "/routines/quick/trigger", body=b"{}")
    r = conn.getresponse()
    r.read()
rate = count / (time.perf_counter() - t0)
# The same through the plain C client (bench/compare/trigger.c with a count): Python's http.client
# spends about as much per request as the daemon, so this is the daemon's own throughput.
crate = float(subprocess.run([CCLIENT, d.socket, "quick", str(count)], check=True, capture_output=True,
                             text=True).stdout)
row("triggers/s through one connection, committed before each reply", f"{rate:.0f}/s (Python client); {crate:.0f}/s (C client)",
    f"curl per request {1 / med(curl):.0f}/s", f"{rate * med(curl):.1f}x")
d.stop()

pattern = re.compile(r"first frame written at (\d+\.\d+)")


def first_frames(daemon, routine, count, pause, vary=False):
    """Control API request -> the daemon's 'first frame written' log line, `count` times (with
    `vary`, each request passes a new number as `{event.n}`, so no announcement is cached)."""
    log = open(daemon.log)
    log.seek(0, os.SEEK_END)
    found = []
    for index in range(count):
        time.sleep(pause)
        body = json.dumps({"data": {"n": str(1000 + index)}}).encode() if vary else b"{}"
        c = UnixHTTP(daemon.socket)
        c.connect()
        t0 = time.time()
        c.request("POST", f"/routines/{routine}/trigger", body=body)
        c.getresponse().read()
        deadline = time.time() + 10
        while time.time() < deadline:
            line = log.readline()
            m = pattern.search(line) if line else None
            if m:
                found.append(float(m.group(1)) - t0)
                break
            if not line:
                time.sleep(0.0005)
    return found


# 3. Control API request -> first frame of a short tone, next to `sh -c aplay` on a pre-made file.
d = Daemon({"beep.json": json.dumps({"mode": "queued", "triggers": [{"event": "x"}],
                                     "actions": [{"tone": {"frequency": 880, "duration": "100ms", "level": -20}}]})},
           debug=True)
first = first_frames(d, "beep", 30 if QUICK else 100, 2.3)  # the linger expires: each run opens the PCM anew
wav = os.path.join(d.dir, "beep.wav")
subprocess.run(["sox", "-n", "-r", "48000", "-c", "2", "-b", "16", wav, "synth", "0.1", "sine", "880"], check=True)
aplay = []
for _ in range(30 if QUICK else 100):
    t0 = time.perf_counter()
    subprocess.run(["sh", "-c", f"aplay -q -D cmp {wav}"], env=d.env, check=True)
    aplay.append(time.perf_counter() - t0)
row("control API -> first frame (median / p99)", f"{med(first) * 1000:.2f} / {p99(first) * 1000:.2f} ms",
    f"`sh -c aplay` whole process {med(aplay) * 1000:.2f} ms", f"{med(aplay) / med(first):.1f}x")
d.stop()


# 3b. An announcement: control API -> first frame of espeak-ng's speech (streamed as it is
#     synthesized, SPEC §6), next to a user's pipeline `espeak-ng --stdout TEXT | aplay`, timed from
#     its start until aplay's first samples reach the PCM (ALSA's file plugin writing into a FIFO
#     that this script reads).
if shutil.which("espeak-ng"):
    import threading

    sentence = "The tea is ready, and the kettle is off."
    d = Daemon({"say.json": json.dumps({"mode": "queued", "triggers": [{"event": "x"}],
                                        "actions": [{"announce": "Number {event.n}: " + sentence}]})}, debug=True)
    spoken = first_frames(d, "say", 10 if QUICK else 30, 4.5, vary=True)
    cached = first_frames(d, "say", 10 if QUICK else 30, 4.5)
    fifo = os.path.join(d.dir, "pipe.raw")
    os.mkfifo(fifo)
    asound = os.path.join(d.dir, "asound-pipe.conf")
    open(asound, "w").write(f'pcm.pipe {{ type file slave.pcm "null" file "{fifo}" format "raw" }}\n')
    env = dict(d.env, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{asound}")
    pipeline = []

    def first_bytes(stamp):
        fd = os.open(fifo, os.O_RDONLY)  # returns when aplay's file plugin opens it
        if os.read(fd, 4096):
            stamp.append(time.time())
        while os.read(fd, 65536):
            pass
        os.close(fd)

    for _ in range(10 if QUICK else 30):
        stamp = []
        reader = threading.Thread(target=first_bytes, args=(stamp,))
        reader.start()
        t0 = time.time()
        subprocess.run(["sh", "-c", f"espeak-ng --stdout 'Number {2000 + len(pipeline)}: {sentence}' | aplay -q -D pipe"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reader.join(10)
        if stamp:
            pipeline.append(stamp[0] - t0)
    row("control API -> first frame of an announcement (median / p99)",
        f"{med(spoken) * 1000:.1f} / {p99(spoken) * 1000:.1f} ms (a text said before, from the cache: "
        f"{med(cached) * 1000:.1f} / {p99(cached) * 1000:.1f} ms)" if spoken and cached else "no first frame",
        f"`espeak-ng --stdout | aplay` to its first PCM write {med(pipeline) * 1000:.1f} ms"
        if pipeline else "pipeline not measured",
        f"{med(pipeline) / med(spoken):.1f}x" if spoken and pipeline else "-")
    d.stop()

# 4. Schedule precision: a cron expression every second, with a busy loop keeping the other core
#    busy, next to cron's own minute fires.
import sqlite3
seconds = 20 if QUICK else int(os.environ.get("COMPARE_PRECISION_SECONDS", "600"))
busy = subprocess.Popen(["sh", "-c", "while :; do :; done"])
d = Daemon({"tick.json": '{"mode":"parallel","triggers":[{"cron":"* * * * * *"}],"actions":[{"wait":0}]}'},
           config={"history": {"keepPerRoutine": 100000}})
time.sleep(seconds + 1.5)
db = sqlite3.connect(os.path.join(d.dir, "state", "routines.sqlite"))
starts = [r[0] for r in db.execute("SELECT started_at FROM runs WHERE routine='tick' ORDER BY id")]
db.close()
d.stop()
busy.kill()
late = [abs(s - round(s)) for s in starts][1:]
cron_late = None
if shutil.which("cron") and not QUICK:
    out = tempfile.mkdtemp(prefix="routines-cron-")
    stamps = os.path.join(out, "stamps")
    tab = os.path.join(out, "tab")
    open(tab, "w").write(f"* * * * * date +\\%s.\\%N >> {stamps}\n")
    subprocess.run(["crontab", tab], check=True)
    cron = subprocess.Popen(["cron", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(125)
    cron.terminate()
    cron.wait()
    subprocess.run(["crontab", "-r"], check=False)
    values = [float(x) for x in open(stamps).read().split()] if os.path.exists(stamps) else []
    cron_late = [v - int(v / 60) * 60 for v in values]
    shutil.rmtree(out, ignore_errors=True)
row(f"schedule precision, |fire - due| over {seconds} s, other core busy (median / p99)",
    f"{med(late) * 1000:.2f} / {p99(late) * 1000:.2f} ms ({len(late)} fires)" if late else "no fires",
    f"cron {med(cron_late) * 1000:.0f} ms after the minute ({len(cron_late)} fires)" if cron_late else "cron: not measured (--quick or not installed)",
    f"{med(cron_late) / med(late):.0f}x" if cron_late and late else "-")

table()
