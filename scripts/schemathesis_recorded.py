"""The tracking events recorded, by entity type and action, for scripts/schemathesis.sh.

With the server's base URL: reads its `GET /metrics` (with ADMIN_TOKEN) and prints one line per
kind, `entity_type/action count`, from `tracking_events_recorded_total`.
With `--compare BEFORE AFTER [MUTATIONS]` (two such outputs): prints both counts of each kind and
fails unless each of the tracked mutations MUTATIONS names (comma-separated; by default all four:
activate, with a task or a penalty; request, redeem, cancel) recorded new events.
"""

import os
import sys
import urllib.request

KINDS = ("task/activated", "penalty/activated", "reward/requested", "reward/redeemed",
         "reward/cancelled")


def parse_exposition(text):
    counts = {kind: 0 for kind in KINDS}
    for line in text.splitlines():
        if not line.startswith("tracking_events_recorded_total{"):
            continue
        labels_text, _, value = line.partition("} ")
        labels = dict(
            pair.split("=", 1) for pair in labels_text.split("{", 1)[1].split(",") if "=" in pair
        )
        kind = f"{labels['entity_type'].strip(chr(34))}/{labels['action'].strip(chr(34))}"
        counts[kind] = counts.get(kind, 0) + int(float(value))
    return counts


def parse_lines(text):
    return {kind: int(count) for kind, count in (line.split() for line in text.splitlines() if line)}


if len(sys.argv) in (4, 5) and sys.argv[1] == "--compare":
    before, after = parse_lines(sys.argv[2]), parse_lines(sys.argv[3])
    for kind in KINDS:
        print(f"   {kind}: {before.get(kind, 0)} -> {after.get(kind, 0)}")
    grew = lambda *kinds: any(after.get(kind, 0) > before.get(kind, 0) for kind in kinds)
    mutations = {
        "activate": grew("task/activated", "penalty/activated"),
        "request": grew("reward/requested"),
        "redeem": grew("reward/redeemed"),
        "cancel": grew("reward/cancelled"),
    }
    wanted = sys.argv[4].split(",") if len(sys.argv) == 5 else list(mutations)
    missed = [name for name in wanted if not mutations[name]]
    if missed:
        print(f"   not applied once during the run: {', '.join(missed)}")
    sys.exit(1 if missed else 0)

request = urllib.request.Request(sys.argv[1] + "/metrics")
request.add_header("Authorization", "Bearer " + os.environ["ADMIN_TOKEN"])
with urllib.request.urlopen(request, timeout=10) as response:
    exposition = response.read().decode()
for kind, count in parse_exposition(exposition).items():
    print(kind, count)
