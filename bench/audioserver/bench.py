#!/usr/bin/python3
"""Sink-output benchmarks (issue 20), against a real PipeWire (and PulseAudio) this script starts.
Prints the figures. Usage:
    bash bench/audioserver/run.sh [efficacy MINUTES] [latency] [idle]   (release build), or
    bench/audioserver/bench.py BINARY [efficacy MINUTES] [latency] [idle]
(no command: all three, efficacy over 10 minutes). BINARY is the built `routines`.

efficacy  keep-alive `for: 5s` on a sink output while another program (paplay) plays random 1-20 s
          pieces of 440 Hz with random 1-15 s pauses; the sink's monitor is recorded throughout:
          longest silence at the monitor, bursts that overlapped the other program's audio.
latency   API request (POST /routines/NAME/trigger) to the first non-silent frame read from the
          sink's monitor, vs spawning `paplay` and `pw-play` on the same 100 ms file, measured the
          same way; on PipeWire and on PulseAudio. The server's own buffering is measured apart: an
          already connected `pacat` writes the same audio (its write -> the monitor), and the
          daemon's own share (run start -> first block written) is read from GET /metrics.
idle      a daemon with a sink output (subscription open) vs one with an ALSA output only: context
          switches per minute over 60 s, and RSS.
"""
import array, math, os, random, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
ARGS = sys.argv[2:]


def call(sock, method, path):
    c = UnixHTTP(sock)
    c.request(method, path, body=b"" if method == "POST" else None)
    r = c.getresponse()
    return r.status, r.read()


class Server:
    """pipewire + wireplumber + pipewire-pulse, or pulseaudio, in a private runtime folder."""

    def __init__(self, kind):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="routines-bench-pw-")
        os.chmod(self.dir, 0o700)
        # Made before the server starts: pipewire-pulse 0.3.65 exits ("File exists") when a polling
        # `pactl info` makes it between the server's stat and mkdir.
        os.mkdir(self.dir + "/pulse", 0o700)
        out = subprocess.run(
            ["dbus-daemon", "--session", "--address=unix:path=" + self.dir + "/bus", "--fork", "--print-address=1",
             "--print-pid=1"], capture_output=True, text=True, check=True).stdout.split("\n")
        self.bus_pid = int(out[1])
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.dir, DBUS_SESSION_BUS_ADDRESS=out[0])
        self.env.pop("PULSE_SERVER", None)
        self.procs = []
        if kind == "pipewire":
            # In order, each once the one before it answers (as the test harness does): a WirePlumber
            # started before PipeWire's socket exists exits, and then no stream is ever linked.
            self.procs.append(self.spawn(["pipewire"]))
            self.wait_for("PipeWire's socket", lambda: os.path.exists(self.dir + "/pipewire-0"))
            self.procs.append(self.spawn(["wireplumber"]))
            self.wait_for("WirePlumber's default metadata", lambda: 'metadata.name = "default"' in subprocess.run(
                ["pw-cli", "ls", "Metadata"], env=self.env, capture_output=True, text=True).stdout)
            self.procs.append(self.spawn(["pipewire-pulse"]))
        else:
            with open(self.dir + "/default.pa", "w") as f:
                f.write("load-module module-native-protocol-unix\n")
            self.procs.append(self.spawn(["pulseaudio", "-n", "-F", self.dir + "/default.pa", "--exit-idle-time=-1",
                                          "--daemonize=no"]))
        for _ in range(300):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        self.pactl("load-module", "module-null-sink", "sink_name=headphones")
        info = self.pactl("info").split("\n")
        name = [l for l in info if l.startswith("Server Name")][0]
        version = [l.split(": ", 1)[1] for l in info if l.startswith("Server Version")]
        # "Server Name: PulseAudio (on PipeWire 0.3.65)", or "Server Name: pulseaudio" + its version.
        self.server_name = name if "PipeWire" in name else "Server Name: PulseAudio " + (version[0] if version else "")

    def wait_for(self, what, ready):
        for _ in range(1500):
            if ready():
                return
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead:
                sys.exit("audioserver bench: %s exited while waiting for %s" % (", ".join(dead), what))
            time.sleep(0.02)
        sys.exit("audioserver bench: no %s within 30 s" % what)

    def spawn(self, argv):
        return subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pactl(self, *args):
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, check=True).stdout

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            p.wait(5)
        os.kill(self.bus_pid, 15)
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    def __init__(self, server_env, config, routines, audio=()):
        self.dir = tempfile.mkdtemp(prefix="routines-bench-")
        os.makedirs(self.dir + "/routines")
        os.makedirs(self.dir + "/cfg/routines/audio")
        for path in audio:
            shutil.copy(path, self.dir + "/cfg/routines/audio/")
        for name, text in routines.items():
            with open(self.dir + "/routines/" + name, "w") as f:
                f.write(text)
        with open(self.dir + "/config.json", "w") as f:
            f.write(config)
        self.socket = self.dir + "/s.sock"
        self.proc = subprocess.Popen(
            [BIN, "daemon", "--routines", self.dir + "/routines", "--state", self.dir + "/state", "--socket",
             self.socket, "--config", self.dir + "/config.json", "--log-level", "warning"],
            env=dict(server_env, XDG_CONFIG_HOME=self.dir + "/cfg"), stdout=subprocess.DEVNULL,
            stderr=open(self.dir + "/log", "w"))
        for _ in range(1000):
            try:
                if call(self.socket, "GET", "/status")[0] == 200:
                    break
            except OSError:
                time.sleep(0.01)

    def wait_active(self, output="headphones"):
        import json
        for _ in range(500):
            outputs = json.loads(call(self.socket, "GET", "/outputs")[1])
            if any(o["name"] == output and o["state"] == "active" for o in outputs):
                return
            time.sleep(0.02)
        raise SystemExit("output never became active: " + open(self.dir + "/log").read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def write_tone(path, freq, seconds, rate=48000, level_db=-10):
    n = int(seconds * rate)
    amp = 32767 * 10 ** (level_db / 20)
    data = array.array("h", (int(amp * math.sin(2 * math.pi * freq * i / rate)) for i in range(n)))
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


HANN = {}


def goertzel(x, freq, rate):
    """Amplitude at `freq` through a Hann window (its side lobes keep a loud 440 Hz out of 20 Hz)."""
    n = len(x)
    if n not in HANN:
        HANN[n] = [0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1)) for i in range(n)]
    w = 2 * math.pi * freq / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v, h in zip(x, HANN[n]):
        s1, s2 = v * h + c * s1 - s2, s1
    return math.sqrt(max(0.0, s1 * s1 + s2 * s2 - c * s1 * s2)) * 4 / n  # amplitude (Hann gain 1/2)


def efficacy(minutes):
    server = Server("pipewire")
    rate = 8000
    try:
        routine = '{"triggers": [{"idle": "headphones", "for": "5s"}], "actions": [{"keepAlive": {"output": "headphones"}}]}'
        config = '{"outputs": {"headphones": {"sink": "headphones"}}, "defaultOutput": "headphones", "headphoneOutput": "headphones"}'
        raw = server.dir + "/monitor.raw"
        parec = subprocess.Popen(["parec", "-d", "headphones.monitor", "--raw", "--format=s16le", "--rate=%d" % rate,
                                  "--channels=1", "--latency-msec=20"], env=server.env, stdout=open(raw, "wb"))
        time.sleep(0.5)
        daemon = Daemon(server.env, config, {"keep.json": routine})
        daemon.wait_active()
        rnd = random.Random(20)
        pieces = {}
        for length in range(1, 21):
            pieces[length] = server.dir + "/piece-%d.wav" % length
            write_tone(pieces[length], 440, length)
        end = time.monotonic() + minutes * 60
        played = 0
        while time.monotonic() < end - 25:
            time.sleep(rnd.uniform(1, 15))
            length = rnd.randint(1, 20)
            subprocess.run(["paplay", "-d", "headphones", pieces[length]], env=server.env)
            played += 1
        time.sleep(max(0, end - time.monotonic()))
        parec.terminate()
        parec.wait()
        daemon.stop()
        shutil.copy(raw, "/tmp/routines-efficacy.raw")  # for a second look (8 kHz mono s16le)
        samples = array.array("h")
        with open(raw, "rb") as f:
            samples.frombytes(f.read())
        win = rate // 20
        silent_run = longest = 0
        windows = []
        for start in range(0, len(samples) - win, win):
            x = samples[start:start + win]
            energy = math.sqrt(sum(v * v for v in x) / win)
            if energy < 3:  # digital silence (below -80 dBFS)
                silent_run += 1
                longest = max(longest, silent_run)
            else:
                silent_run = 0
            # 100 ms around this 50 ms step (two cycles of 20 Hz). The burst's 20 Hz at -42 dBFS has
            # an amplitude of about 260; the music (440 Hz at -10 dBFS) none.
            y = samples[max(0, start - win // 2):start + win + win // 2]
            windows.append((goertzel(y, 20, rate) > 100, goertzel(y, 440, rate) > 100))
        bursts = started_in_music = cut_short = 0
        overlap_windows = []
        i = 0
        while i < len(windows):
            if not windows[i][0]:
                i += 1
                continue
            j = i
            while j < len(windows) and windows[j][0]:
                j += 1
            if j - i < 5:
                # Shorter than 250 ms: the click of a piece of music starting or stopping mid-cycle
                # (broadband), not a 2 s burst.
                i = j
                continue
            bursts += 1
            music = [k for k in range(i, j) if windows[k][1]]
            if windows[i][1] and (i == 0 or windows[i - 1][1]):
                started_in_music += 1  # the other program was already playing when the burst began
            elif music:
                cut_short += 1
                overlap_windows.append(len(music))
            i = j
        print("keep-alive efficacy on %s, %.0f min, for: 5s, %d pieces of other audio (1-20 s):"
              % (server.server_name.split(": ", 1)[1], minutes, played))
        print("  longest silence at the sink monitor: %.2f s (limit for + 1 s = 6 s)" % (longest * 0.05))
        print("  keep-alive bursts: %d; started while the other program played: %d" % (bursts, started_in_music))
        print("  bursts the other program's start cut short: %d (overlap at most %d ms)"
              % (cut_short, max(overlap_windows or [0]) * 50))
    finally:
        server.stop()


class MonitorReader:
    """parec on the sink's monitor, read in 1 ms chunks: the instant the first non-silent frame arrives."""

    def __init__(self, env):
        self.proc = subprocess.Popen(["parec", "-d", "headphones.monitor", "--raw", "--format=s16le", "--rate=48000",
                                      "--channels=1", "--latency-msec=1"], env=env, stdout=subprocess.PIPE, bufsize=0)
        self.fd = self.proc.stdout.fileno()
        self.drain(0.3)

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            os.read(self.fd, 65536)

    def first_sound(self, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            data = os.read(self.fd, 96)
            if any(data[i] or data[i + 1] for i in range(0, len(data) - 1, 2)):
                return time.monotonic()
        return None

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def first_frame_sum(sock):
    """The daemon's own share: sum and count of routines_trigger_to_first_frame_seconds (run start to
    the first block handed to the server) for the headphones output, from GET /metrics."""
    total = count = 0.0
    for line in call(sock, "GET", "/metrics")[1].decode().split("\n"):
        if 'output="headphones"' not in line:
            continue
        if line.startswith("routines_trigger_to_first_frame_seconds_sum"):
            total = float(line.split()[-1])
        elif line.startswith("routines_trigger_to_first_frame_seconds_count"):
            count = float(line.split()[-1])
    return total, count


def load():
    return "load %.1f" % os.getloadavg()[0]


def latency(trials=15):
    rate = 48000
    for kind in ["pipewire", "pulseaudio"]:
        server = Server(kind)
        try:
            short = server.dir + "/short.wav"
            write_tone(short, 440, 0.1)
            with open(short, "rb") as f:
                pcm = f.read()[44:]  # the same 100 ms, raw, for pacat
            config = '{"outputs": {"headphones": {"sink": "headphones"}}, "defaultOutput": "headphones", "headphoneOutput": "headphones"}'
            daemon = Daemon(server.env, config, {"beep.json": '{"triggers": [{"event": "beep"}], "actions": [{"play": "short.wav"}]}'}, audio=[short])
            server.procs.append(daemon.proc)  # stopped with the server whatever happens
            daemon.wait_active()
            reader = MonitorReader(server.env)
            load_before = load()
            ours = "routines (API request)"
            floor = "pacat, connected (write)"
            results = {ours: [], "paplay (spawn)": []}
            if kind == "pipewire":
                results["pw-play (spawn)"] = []
            results[floor] = []
            own = []
            for trial in range(trials):
                for name in results:
                    reader.drain(0.35)
                    if name == floor:
                        # The server's own path: a client already connected (40 ms target length, like
                        # ours) writes the file; from its write to the monitor is the server's buffering.
                        p = subprocess.Popen(["pacat", "-d", "headphones", "--raw", "--format=s16le",
                                              "--rate=%d" % rate, "--channels=1", "--latency-msec=40"],
                                             env=server.env, stdin=subprocess.PIPE)
                        reader.drain(0.4)
                    t0 = time.monotonic()
                    if name == ours:
                        before = first_frame_sum(daemon.socket)
                        t0 = time.monotonic()
                        status, body = call(daemon.socket, "POST", "/routines/beep/trigger")
                        if status >= 300:
                            raise SystemExit("trigger failed: %s %s" % (status, body))
                    elif name == floor:
                        p.stdin.write(pcm)
                        p.stdin.flush()
                    elif name.startswith("paplay"):
                        p = subprocess.Popen(["paplay", "-d", "headphones", short], env=server.env)
                    else:
                        p = subprocess.Popen(["pw-play", "--target", "headphones", short], env=server.env)
                    t1 = reader.first_sound()
                    if t1 is not None:
                        results[name].append((t1 - t0) * 1000)
                    if name == ours:
                        after = first_frame_sum(daemon.socket)
                        if after[1] == before[1] + 1:
                            own.append((after[0] - before[0]) * 1000)
                    else:
                        if name == floor:
                            p.stdin.close()
                        p.wait()
                    reader.drain(0.3)
            reader.stop()
            sink = [l.strip() for l in server.pactl("list", "sinks").split("\n") if l.strip().startswith("Latency")]
            daemon.stop()
            print("first frame at the sink monitor on %s (median of %d, ms; %s before, %s after):"
                  % (server.server_name.split(": ", 1)[1], len(results["paplay (spawn)"]), load_before, load()))
            ours_median = statistics.median(results[ours])
            for name, values in results.items():
                m = statistics.median(values)
                print("  %-26s median %6.1f  p90 %6.1f  (%.2fx routines)" % (
                    name, m, sorted(values)[int(len(values) * 0.9) - 1], m / ours_median))
            if own:
                print("  routines' own share (run start -> first block written, /metrics): median %.2f ms" % statistics.median(own))
            print("  server buffering: a connected client's write -> monitor (pacat above) median %.1f ms; "
                  "the sink's own latency (pactl): %s" % (statistics.median(results[floor]), sink[0] if sink else "n/a"))
        finally:
            server.stop()


def threads_switches(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if "ctxt_switches" in line:
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])


def idle():
    server = Server("pipewire")
    try:
        figures = {}
        for name, config in [
            ("ALSA output only", '{"outputs": {"speakers": {"pcm": "null"}}, "defaultOutput": "speakers", "headphoneOutput": "speakers"}'),
            ("sink output (subscribed)", '{"outputs": {"speakers": {"pcm": "null"}, "headphones": {"sink": "headphones"}}, "defaultOutput": "speakers", "headphoneOutput": "headphones"}'),
        ]:
            daemon = Daemon(server.env, config, {})
            if "sink" in name:
                daemon.wait_active()
            time.sleep(5)
            pid = daemon.proc.pid
            before = threads_switches(pid)
            time.sleep(60)
            after = threads_switches(pid)
            figures[name] = (after - before, rss_kb(pid))
            daemon.stop()
        for name, (switches, rss) in figures.items():
            print("  %-26s %3d wake-ups/min (context switches of live threads), RSS %.1f MB" % (name, switches, rss / 1024))
        base = figures["ALSA output only"][1]
        print("  sink subscription costs %+.1f MB RSS" % ((figures["sink output (subscribed)"][1] - base) / 1024))
    finally:
        server.stop()


if __name__ == "__main__":
    commands = ARGS or ["efficacy", "latency", "idle"]
    if "idle" in commands:
        print("idle daemon over 60 s with PipeWire running:")
        idle()
    if "latency" in commands:
        latency()
    if "efficacy" in commands:
        i = commands.index("efficacy")
        minutes = float(commands[i + 1]) if i + 1 < len(commands) and commands[i + 1].replace(".", "").isdigit() else 10
        efficacy(minutes)
