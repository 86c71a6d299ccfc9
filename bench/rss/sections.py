#!/usr/bin/python3
"""Which parts of a running program's own binary are resident (issue 18): for each ELF section of the
executable, the pages present in the process (/proc/PID/pagemap, bit 63), the section's size, and
whether the pages are dirty (private copies: relocated data) per /proc/PID/smaps. Needs root for
pagemap. usage: sections.py PID [TOP]"""
import os, re, struct, subprocess, sys

PAGE = os.sysconf("SC_PAGE_SIZE")


def mappings(pid, path):
    """[(start, end, offset, perms)] of `path`'s mappings in the process."""
    out = []
    for line in open(f"/proc/{pid}/maps"):
        fields = line.split()
        if len(fields) >= 6 and fields[5] == path:
            start, end = (int(x, 16) for x in fields[0].split("-"))
            out.append((start, end, int(fields[2], 16), fields[1]))
    return out


def present(pid, start, end):
    """The set of page addresses in [start, end) that are resident in the process."""
    pages = set()
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        f.seek(start // PAGE * 8)
        data = f.read((end - start) // PAGE * 8)
    for i in range(len(data) // 8):
        (entry,) = struct.unpack_from("<Q", data, i * 8)
        if entry >> 63 & 1:
            pages.add(start + i * PAGE)
    return pages


def sections(binary):
    """[(name, file offset, size, flags)] of the sections that occupy memory (SHF_ALLOC)."""
    out = []
    text = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
        if m and "A" in m.group(6) and m.group(2) != "NOBITS":
            out.append((m.group(1), int(m.group(4), 16), int(m.group(5), 16), m.group(6)))
    return out


def segments(pid, path):
    """[(perms, Rss kB, Private_Dirty kB)] of each mapping of `path`, from /proc/PID/smaps."""
    out, current = [], None
    for line in open(f"/proc/{pid}/smaps"):
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            current = [fields[1], 0, 0] if len(fields) >= 6 and fields[5] == path else None
            if current:
                out.append(current)
        elif current and fields[0] == "Rss:":
            current[1] = int(fields[1])
        elif current and fields[0] == "Private_Dirty:":
            current[2] = int(fields[1])
    return out


def report(pid, top=14):
    binary = os.readlink(f"/proc/{pid}/exe")
    maps = mappings(pid, binary)
    resident = {}  # file page offset -> page resident in some mapping of it
    for start, end, offset, perms in maps:
        for address in present(pid, start, end):
            resident[offset + address - start] = perms
    rows = []
    for name, offset, size, flags in sections(binary):
        first, last = offset // PAGE * PAGE, (offset + size + PAGE - 1) // PAGE * PAGE
        pages = sum(1 for p in range(first, last, PAGE) if p in resident)
        rows.append((pages * PAGE, size, name))
    total = len(resident) * PAGE
    lines = [f"{binary}: {total / 2**20:.1f} MB resident of {os.path.getsize(binary) / 2**20:.1f} MB "
             "(a page shared by two sections counts for both)"]
    for perms, rss, dirty in segments(pid, binary):
        lines.append(f"  mapping {perms}: {rss / 1024:6.2f} MB resident, {dirty / 1024:.2f} MB of it dirty (private copies)")
    for mapped, size, name in sorted(rows, reverse=True)[:top]:
        lines.append(f"  {mapped / 2**20:6.2f} MB of {size / 2**20:6.2f} MB  {name}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 14))
