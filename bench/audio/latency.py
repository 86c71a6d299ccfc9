#!/usr/bin/python3
"""Latency from a request to the first audio frame written to the PCM (issues 4 and 6).

The daemon runs with --log-level debug and logs the wall-clock instant (µs) at which each
playback's first block returned from snd_pcm_writei; outputs are ALSA `file` plugin PCMs writing to
/dev/null (no sound card). Every run opens the PCM anew (the player's linger has expired). Measures:
  - control API request -> first frame of a short tone          (issue 4: median <= 2 ms, p99 <= 10 ms)
  - `routines trigger` as a whole process -> first frame          (issue 4: median <= 15 ms)
  - control API request -> first frame of a 10-word announcement, a new sentence every run
    (synthesis included; issue 6: median <= 30 ms, issue 15: <= 8 ms and >= 1.5x the pipeline)
and in the same run, as baselines, whole-process times of what people use today (an upper bound of
their time to first frame): `aplay` on a pre-made WAV, and `espeak-ng --stdout "..." | aplay`.
usage: latency.py BIN_DIR [RUNS]
"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from unixhttp import UnixHTTP  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
SENTENCE = "Good morning, it is seven thirty and coffee is ready."

d = tempfile.mkdtemp(prefix="routines-latency-")
asound = os.path.join(d, "asound.conf")
with open(asound, "w") as f:
    f.write('pcm.latency { type file slave.pcm "null" file "/dev/null" format "raw" }\n')
env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{asound}", XDG_CONFIG_HOME=os.path.join(d, "cfg"))
routines = os.path.join(d, "routines")
os.makedirs(routines)
with open(os.path.join(routines, "beep.json"), "w") as f:
    json.dump({"mode": "queued", "triggers": [{"event": "x"}],
               "actions": [{"tone": {"frequency": 880, "duration": "100ms", "level": -20}}]}, f)
with open(os.path.join(routines, "speak.json"), "w") as f:
    # The sentence comes with the event, different every run: synthesis included, no cache hits.
    json.dump({"mode": "queued", "triggers": [{"event": "y"}], "actions": [{"announce": "{event.text}", "chime": False}]}, f)
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"outputs": {"speakers": {"pcm": "latency"}}, "defaultOutput": "speakers", "headphoneOutput": "speakers"}, f)
sock = os.path.join(d, "s.sock")
log_path = os.path.join(d, "log")
daemon = subprocess.Popen([os.path.join(BIN, "routines-daemon"), "--routines", routines, "--state", os.path.join(d, "state"),
                           "--socket", sock, "--config", os.path.join(d, "config.json"), "--log-level", "debug"],
                          env=env, stderr=open(log_path, "w"))
log = open(log_path)
pattern = re.compile(r"first frame written at (\d+\.\d+)")


for _ in range(500):
    try:
        c = UnixHTTP(sock)
        c.request("GET", "/status")
        c.getresponse().read()
        break
    except OSError:
        time.sleep(0.01)


def first_frame():
    deadline = time.time() + 10
    while time.time() < deadline:
        line = log.readline()
        if not line:
            time.sleep(0.001)
            continue
        m = pattern.search(line)
        if m:
            return float(m.group(1))
    raise SystemExit("no first-frame line in the daemon log")


def wait_for(text):
    """Reads the daemon's log until a line contains `text` (playback is paced in real time)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        line = log.readline()
        if not line:
            time.sleep(0.005)
            continue
        if text in line:
            return
    raise SystemExit(f"no '{text}' line in the daemon log")


def api(path, body=b"{}"):
    c = UnixHTTP(sock)
    c.connect()
    t0 = time.time()
    c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    c.getresponse().read()
    return t0


def report(name, values, target=""):
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]
    print(f"   {name}: median {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms {target}")
    return statistics.median(values)


print(f"== machine: {os.cpu_count()} cores; {RUNS} runs each; every run opens the PCM anew")
tone = []
for _ in range(RUNS):
    t0 = api("/routines/beep/trigger")
    tone.append(first_frame() - t0)
    time.sleep(2.3)
m_api = report("control API request -> first frame (tone)", tone, "(target: median <= 2 ms, p99 <= 10 ms)")
cli = []
for _ in range(RUNS):
    t0 = time.time()
    subprocess.run([os.path.join(BIN, "routines"), "trigger", "beep", "--socket", sock], stdout=subprocess.DEVNULL, check=True)
    cli.append(first_frame() - t0)
    time.sleep(2.3)
report("'routines trigger' as a whole process -> first frame (tone)", cli, "(target: median <= 15 ms)")
beep = os.path.join(d, "beep.wav")
subprocess.run(["sox", "-n", "-r", "48000", "-c", "2", "-b", "16", beep, "synth", "0.01", "sine", "880", "vol", "0.1"], check=True)
aplay = []
for _ in range(RUNS):
    t0 = time.time()
    subprocess.run(["sh", "-c", f"aplay -q -D latency {beep}"], env=env, check=True)
    aplay.append(time.time() - t0)
m_aplay = report("baseline: sh spawning aplay on a 10 ms WAV, whole process", aplay)
print(f"   ratio baseline / routines (control API): {m_aplay / m_api:.1f}x")
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def sentence(i):
    """The 10-word sentence, with a different last word every run."""
    return SENTENCE.replace("ready", f"ready {NUMBERS[i % 12]}{'' if i < 12 else ' ' + NUMBERS[i // 12 % 12]}")


speech = []
for i in range(RUNS):
    t0 = api("/events/y", json.dumps({"text": sentence(i)}).encode())
    speech.append(first_frame() - t0)
    wait_for("routine speak: success")  # the sentence plays for about 3 s
    time.sleep(2.3)
m_speech = report("control API request -> first speech frame (10 words, synthesis included)", speech, "(target: median <= 8 ms)")
pipeline = []
for i in range(RUNS):
    t0 = time.time()
    subprocess.run(["sh", "-c", f'espeak-ng --stdout "{sentence(i)}" | aplay -q -D latency'], env=env, check=True)
    pipeline.append(time.time() - t0)
m_pipe = report("baseline: espeak-ng --stdout | aplay, whole pipeline", pipeline)
print(f"   ratio baseline / routines: {m_pipe / m_speech:.1f}x")
daemon.terminate()
daemon.wait(10)
shutil.rmtree(d, ignore_errors=True)
