#!/usr/bin/python3
"""Announcements through a real Wyoming server (wyoming-piper, en_US-joe-medium) (issue 15).

Starts wyoming-piper from the virtualenv scripts/piper-venv.sh makes, and the release daemon with
`"speech": {"engines": {"piper": ...}, "default": "piper"}`, logging at debug level the wall-clock
instants of the first speech chunk it received and of the first frame it wrote (ALSA `file` plugin
to /dev/null). Measures, in the same run, alternating, a new sentence each time:
  - the daemon: first chunk received -> first frame written          (target: median <= 2 ms)
  - the daemon: control API request -> first frame written
  - a plain protocol client (this script): synthesize sent -> first audio-chunk read
and, as the baseline a user would run, `piper` from its own command line: process start -> first
byte of raw audio on stdout (it loads the voice model every time).
Then idle: after the announcements, the daemon with the engine configured and nothing to say for
IDLE seconds; counts the context switches of every daemon thread and the TCP connections to the
server (target: none).
usage: wyoming.py BIN_DIR [RUNS] [IDLE]
"""
import glob, json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
IDLE = int(sys.argv[3]) if len(sys.argv) > 3 else 30
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORDS = ["coffee", "tea", "breakfast", "the bus", "the laundry", "the oven", "the mail", "the car", "the train", "dinner",
         "the bath", "the taxi"]


def sentence(i):
    return f"Good morning, it is seven thirty and {WORDS[i % len(WORDS)]} is ready."


venv, data = subprocess.run(["bash", os.path.join(ROOT, "scripts/piper-venv.sh")], check=True, capture_output=True,
                            text=True).stdout.split("\n")[:2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
d = tempfile.mkdtemp(prefix="routines-wyoming-")
server = subprocess.Popen([f"{venv}/bin/wyoming-piper", "--voice", "en_US-joe-medium", "--data-dir", data, "--uri",
                           f"tcp://127.0.0.1:{port}", "--local-files-only"], stderr=open(os.path.join(d, "piper.log"), "w"))
while "Ready" not in open(os.path.join(d, "piper.log")).read():
    if server.poll() is not None:
        raise SystemExit("wyoming-piper exited: " + open(os.path.join(d, "piper.log")).read())
    time.sleep(0.1)


def event(sock, type_, data=None):
    body = json.dumps(data or {}).encode()
    sock.sendall(json.dumps({"type": type_, "data_length": len(body)}).encode() + b"\n" + body)


def read_event(f):
    header = json.loads(f.readline())
    if header.get("data_length"):
        f.read(header["data_length"])
    if header.get("payload_length"):
        f.read(header["payload_length"])
    return header["type"]


def plain_client(text):
    """synthesize sent -> first audio-chunk read, then the rest read to audio-stop."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = sock.makefile("rb")
    t0 = time.time()
    event(sock, "synthesize", {"text": text, "voice": {"name": "en_US-joe-medium"}})
    first = None
    while True:
        kind = read_event(f)
        if kind == "audio-chunk" and first is None:
            first = time.time() - t0
        if kind in ("audio-stop", "error"):
            break
    sock.close()
    return first


asound = os.path.join(d, "asound.conf")
with open(asound, "w") as f:
    f.write('pcm.latency { type file slave.pcm "null" file "/dev/null" format "raw" }\n')
env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{asound}", XDG_CONFIG_HOME=os.path.join(d, "cfg"))
routines = os.path.join(d, "routines")
os.makedirs(routines)
with open(os.path.join(routines, "speak.json"), "w") as f:
    json.dump({"mode": "queued", "triggers": [{"event": "y"}], "actions": [{"announce": "{event.text}", "chime": False}]}, f)
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"outputs": {"speakers": {"pcm": "latency"}}, "defaultOutput": "speakers", "headphoneOutput": "speakers",
               "speech": {"engines": {"piper": {"wyoming": f"tcp://127.0.0.1:{port}", "voice": "en_US-joe-medium",
                                                "timeout": "60s"}}, "default": "piper"}}, f)
sock_path = os.path.join(d, "s.sock")
log_path = os.path.join(d, "log")
daemon = subprocess.Popen([os.path.join(BIN, "routines-daemon"), "--routines", routines, "--state", os.path.join(d, "state"),
                           "--socket", sock_path, "--config", os.path.join(d, "config.json"), "--log-level", "debug"],
                          env=env, stderr=open(log_path, "w"))
log = open(log_path)


for _ in range(500):
    try:
        c = UnixHTTP(sock_path)
        c.request("GET", "/status")
        c.getresponse().read()
        break
    except OSError:
        time.sleep(0.01)


def daemon_run(text):
    c = UnixHTTP(sock_path)
    c.connect()
    t0 = time.time()
    c.request("POST", "/events/y", body=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"})
    c.getresponse().read()
    chunk = frame = None
    deadline = time.time() + 120
    while (chunk is None) and time.time() < deadline:
        line = log.readline()
        if not line:
            time.sleep(0.005)
            continue
        if "spoken by espeak-ng" in line:
            raise SystemExit("the daemon fell back to espeak-ng: " + line)
        m = re.search(r"first frame written at (\d+\.\d+)", line)
        if m:
            frame = float(m.group(1))
        m = re.search(r"first speech chunk at (\d+\.\d+)", line)
        if m:
            chunk = float(m.group(1))
    if chunk is None or frame is None:
        raise SystemExit("no first-chunk/first-frame lines in the daemon log")
    return frame - chunk, frame - t0


def report(name, values, target=""):
    values = sorted(values)
    print(f"   {name}: median {statistics.median(values) * 1000:.2f} ms, min {values[0] * 1000:.2f}, "
          f"max {values[-1] * 1000:.2f} ms {target}")
    return statistics.median(values)


print(f"== machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {RUNS} runs each, alternating; "
      f"server wyoming-piper, voice en_US-joe-medium")
# Warm up: the server loads the voice model on its first request.
plain_client("Warming up.")
chunk_to_frame, api_to_frame, plain = [], [], []
for i in range(RUNS):
    text = sentence(i)
    # Alternate which goes first, so neither always follows the other's request.
    if i % 2 == 0:
        plain.append(plain_client(text))
    a, b = daemon_run(text)  # returns once the announcement has played
    chunk_to_frame.append(a)
    api_to_frame.append(b)
    time.sleep(2.5)  # the output's linger: every run opens the PCM anew
    if i % 2 == 1:
        plain.append(plain_client(text))
report("daemon: first chunk received -> first frame written", chunk_to_frame, "(target: median <= 2 ms)")
m_daemon = report("daemon: control API request -> first frame written", api_to_frame)
m_plain = report("plain protocol client: synthesize sent -> first audio-chunk read", plain)
print(f"   daemon's API -> first frame minus the plain client's first chunk (medians): {(m_daemon - m_plain) * 1000:.2f} ms")
cli = []
for i in range(3):
    t0 = time.time()
    p = subprocess.Popen([f"{venv}/bin/piper", "-m", f"{data}/en_US-joe-medium.onnx", "--output-raw"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdin.write(sentence(i).encode() + b"\n")
    p.stdin.close()
    p.stdout.read(1)
    cli.append(time.time() - t0)
    p.stdout.read()
    p.wait()
m_cli = report("baseline: piper from its command line, process start -> first audio byte (3 runs)", cli)
print(f"   ratio piper CLI / daemon (API -> first frame): {m_cli / m_daemon:.1f}x")

# Idle: nothing to say for IDLE seconds.
time.sleep(3)
pid = daemon.pid


def switches():
    total = {}
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            text = open(status).read()
        except OSError:
            continue
        name = re.search(r"Name:\s*(.*)", text).group(1)
        v = int(re.search(r"voluntary_ctxt_switches:\s*(\d+)", text).group(1))
        n = int(re.search(r"nonvoluntary_ctxt_switches:\s*(\d+)", text).group(1))
        total[status] = (name, v + n)
    return total


def connections():
    """Open TCP connections to the server's port (from /proc/net/tcp): every state but LISTEN and
    the kernel's TIME_WAIT/CLOSE remains of connections closed before the idle period."""
    count = 0
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if state not in ("0A", "06", "07") and int(remote.split(":")[1], 16) == port:
            count += 1
    return count


before = switches()
seen = 0
for _ in range(IDLE):
    seen = max(seen, connections())
    time.sleep(1)
after = switches()
woke = {after[k][0]: after[k][1] - before[k][1] for k in after if k in before and after[k][1] != before[k][1]}
print(f"   idle {IDLE} s with the engine configured: threads that woke: {woke or 'none'}; "
      f"connections to the server seen (sampled every second): {seen}")
daemon.terminate()
daemon.wait(10)
server.kill()
server.wait()
shutil.rmtree(d, ignore_errors=True)
