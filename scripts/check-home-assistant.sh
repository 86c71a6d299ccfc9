#!/usr/bin/env bash
# Checks the Home Assistant YAML of docs/guide.md §6 with Home Assistant's own config check
# (`hass --script check_config`), each automation form in a config of its own. Not part of the
# test command (it installs Home Assistant from PyPI into a venv, which takes minutes):
#   bash scripts/check-home-assistant.sh [VERSION]    default 2024.3.3, the newest for Python 3.11
#   PYTHON=python3.13 bash scripts/check-home-assistant.sh 2025.4.4
# Checked 2026-11-30: 2024.3.3 accepts the older form (trigger:/platform:/service:) and rejects
# the 2024.10 form (extra keys not allowed @ data['actions'] ...); 2025.4.4 accepts both.
# Exit status 1 when the older form, which every release accepts, is rejected.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-2024.3.3}
venv=${HASS_VENV:-.build/hass-$version}
if [ ! -x "$venv/bin/hass" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install --quiet "homeassistant==$version"
fi
T=$(mktemp -d /tmp/routines-hass.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# The guide's YAML blocks of section 6, in order: secrets, two rest_commands, the 2024.10 form, the older form.
python3 - "$T" <<'PY'
import re, sys
text = open("docs/guide.md").read()
section = text[text.index("## 6. Calling routines from Home Assistant"):text.index("## 7.")]
blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
secrets = [b for b in blocks if b.startswith("routines_bearer:")]
rest = [b for b in blocks if b.startswith("rest_command:")]
automations = [b for b in blocks if b.startswith("automation:")]
assert len(secrets) == 1 and len(rest) == 2 and len(automations) == 2, (len(secrets), len(rest), len(automations))
current = [a for a in automations if "triggers:" in a]
older = [a for a in automations if "triggers:" not in a]
assert len(current) == 1 and len(older) == 1
commands = rest[0] + "".join(b.split("\n", 1)[1] for b in rest[1:])
for name, automation in (("current", current[0]), ("older", older[0])):
    import os
    folder = os.path.join(sys.argv[1], name)
    os.makedirs(folder)
    open(os.path.join(folder, "secrets.yaml"), "w").write(secrets[0])
    open(os.path.join(folder, "configuration.yaml"), "w").write(
        "homeassistant:\n  name: check\n  time_zone: Europe/Berlin\n" + commands + automation)
PY
status=0
for form in older current; do
    echo "== Home Assistant $version, the guide's $form automation form" >&2
    if "$venv/bin/hass" --script check_config -c "$T/$form" > "$T/$form.out" 2>&1 && ! grep -q "Invalid config\|Failed config\|could not be validated\|ERROR" "$T/$form.out"; then
        echo "accepted" >&2
        result=accepted
    else
        grep -E "Invalid config|Failed config|ERROR|extra keys|required key" "$T/$form.out" | head -n 8 >&2 || tail -n 8 "$T/$form.out" >&2
        result=rejected
    fi
    echo "$form: $result"
    if [ "$form" = older ] && [ "$result" != accepted ]; then status=1; fi
done
exit $status
