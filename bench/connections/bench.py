"""Idle control API connections against a daemon under `ulimit -n 1024` (see run.sh)."""
import os, resource, shutil, socket, statistics, subprocess, sys, tempfile, time

routines, count = sys.argv[1], int(sys.argv[2])
# The clients need more descriptors than the daemon gets.
resource.setrlimit(resource.RLIMIT_NOFILE, (count + 256, max(count + 256, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
work = tempfile.mkdtemp(prefix="routines-connections-")
os.makedirs(work + "/routines")
sock = work + "/api.sock"
probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
with open(work + "/token", "w") as f:
    f.write("0123456789abcdef0123456789abcdef\n")
with open(work + "/config.json", "w") as f:
    f.write('{"http": {"listen": "127.0.0.1:%d", "tokenFile": "%s/token"}}' % (port, work))
log = open(work + "/daemon.log", "w")
daemon = subprocess.Popen(
    ["prlimit", "--nofile=1024", "--", routines, "daemon", "--routines", work + "/routines", "--state", work + "/state",
     "--socket", sock, "--config", work + "/config.json", "--audio", work + "/audio"],
    stdout=log, stderr=log, stdin=subprocess.DEVNULL)
pid = daemon.pid
clock_tick = os.sysconf("SC_CLK_TCK")

def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / clock_tick

def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def open_fds():
    return len(os.listdir(f"/proc/{pid}/fd"))

def status_ms():
    start = time.monotonic()
    result = subprocess.run([routines, "status", "--socket", sock], capture_output=True, timeout=30)
    elapsed = (time.monotonic() - start) * 1000
    if result.returncode != 0:
        return None
    return elapsed

for _ in range(200):
    if os.path.exists(sock) and status_ms() is not None:
        break
    time.sleep(0.05)
else:
    sys.exit("the daemon did not start; see " + work + "/daemon.log")

def api_ms():
    """GET /status over the Unix socket, connect to last byte (no process start)."""
    start = time.monotonic()
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(30)
    try:
        c.connect(sock)
        c.sendall(b"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    finally:
        c.close()
    return (time.monotonic() - start) * 1000 if data.startswith(b"HTTP/1.1 200") else None

def median_status(n=21):
    values = [status_ms() for _ in range(n)]
    if any(v is None for v in values):
        return None, values
    return statistics.median(values), values

def median_api(n=21):
    values = [api_ms() for _ in range(n)]
    if any(v is None for v in values):
        return None, values
    return statistics.median(values), values

def idle_connections(kind):
    conns = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET)
        s.setblocking(False)
        try:
            s.connect(sock if kind == "unix" else ("127.0.0.1", port))
        except (BlockingIOError, InterruptedError):
            pass  # waits in the backlog
        except OSError:
            s.close(); continue
        conns.append(s)
    return conns

for _ in range(3):
    status_ms()  # warm up
time.sleep(1)
baseline, _ = median_status()
api_baseline, _ = median_api()
rss_start = rss_mb()
print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; daemon pid {pid} under ulimit -n 1024")
print(f"no other connections: routines status median {baseline:.1f} ms, GET /status median {api_baseline:.2f} ms (of 21 each)")
print(f"RSS at start: {rss_start:.1f} MB, descriptors {open_fds()}")
for kind in ["tcp", "unix"]:
    conns = idle_connections(kind)
    time.sleep(1)
    c0, t0 = cpu(), time.monotonic()
    time.sleep(5)
    c1, t1 = cpu(), time.monotonic()
    loaded, values = median_status()
    api_loaded, api_values = median_api()
    fds_hanging, rss_hanging = open_fds(), rss_mb()
    print(f"{count} idle {kind.upper()} connections opened ({len(conns)} connect calls accepted or queued):")
    print(f"  daemon CPU while they hang: {100 * (c1 - c0) / (t1 - t0):.2f} % (5 s)")
    if loaded is None:
        print(f"  routines status: FAILED {values}")
    else:
        print(f"  routines status: median {loaded:.1f} ms, max {max(values):.1f} ms (of 21); ratio to no connections {loaded / baseline:.2f}x")
    if api_loaded is None:
        print(f"  GET /status: FAILED {api_values}")
    else:
        print(f"  GET /status: median {api_loaded:.2f} ms, max {max(api_values):.2f} ms (of 21); ratio to no connections {api_loaded / api_baseline:.2f}x")
    print(f"  daemon descriptors {fds_hanging}, RSS {rss_hanging:.1f} MB")
    for s in conns:
        s.close()
    time.sleep(3)
    print(f"  after they closed: RSS {rss_mb():.1f} MB ({rss_mb() - rss_start:+.1f} MB from the start), descriptors {open_fds()}")
daemon.terminate(); daemon.wait(timeout=10)
shutil.rmtree(work)
