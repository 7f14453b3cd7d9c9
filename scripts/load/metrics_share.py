"""The share of a server's CPU samples spent in the metrics code, from `perf report --stdio
--no-children --sort symbol` (self time per symbol), for scripts/load/run.sh's overhead area.

The metrics code: the request middleware (`record_request`, with what the compiler inlined into
it) and the route label it builds, the `metrics` facade, `metrics-util` and
`metrics-exporter-prometheus` (registry lookups, atomic counters, histogram buckets), and
`quanta`, their clock.
"""

import re
import sys

METRICS = re.compile(
    r"record_request|route_label|metrics::|metrics_util|metrics_exporter_prometheus|quanta::"
)

total = 0.0
found = {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    match = re.match(r"\s+([0-9.]+)%\s+\[[.kK]\]\s+(.*)$", line)
    if not match:
        continue
    share, symbol = float(match.group(1)), match.group(2).strip()
    if METRICS.search(symbol):
        total += share
        found[symbol] = found.get(symbol, 0.0) + share
top = sorted(found.items(), key=lambda item: -item[1])[:5]
listed = "; ".join(f"{share:.2f}% {symbol[:70]}" for symbol, share in top)
print(f"{total:.2f}% of samples ({listed})")
