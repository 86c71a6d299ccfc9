#!/usr/bin/python3
"""Where a process's resident memory is (issue 18): RSS per mapped file and for anonymous memory,
from /proc/PID/smaps, largest first. usage: smaps.py PID"""
import collections, sys


def breakdown(pid):
    """{name: kB resident}: a mapped file by its path, `[anon]` for anonymous memory (heap, thread
    stacks, private mappings), `[stack]` etc. as the kernel names them."""
    rss = collections.Counter()
    name = None
    for line in open(f"/proc/{pid}/smaps"):
        fields = line.split()
        if not fields:
            continue
        if "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
            name = fields[5] if len(fields) >= 6 else "[anon]"
        elif fields[0] == "Rss:":
            rss[name] += int(fields[1])
    return rss


def report(pid, top=12):
    rss = breakdown(pid)
    total = sum(rss.values())
    files = sum(v for k, v in rss.items() if k.startswith("/"))
    lines = [f"RSS {total / 1024:.1f} MB: files {files / 1024:.1f} MB, anonymous and other {(total - files) / 1024:.1f} MB"]
    for path, kb in rss.most_common(top):
        lines.append(f"  {kb / 1024:6.2f} MB  {path}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(int(sys.argv[1])))
