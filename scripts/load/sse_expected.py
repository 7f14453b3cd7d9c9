"""Compares what the SSE streams received with what they should have received.

    python3 sse_expected.py SSE_JSON WRK_OUTPUT HISTORY_BEFORE HISTORY_AFTER

SSE_JSON is sse_count's result; WRK_OUTPUT holds wrk.lua's `OK200 USER N` lines (200 answers per
parent); HISTORY_BEFORE/AFTER hold `USER TOTAL` lines (the parent's events in the history). The
expected deliveries are, summed over the parents, the parent's 200-answered activations times its
open streams; the history's growth gives a second count (it also holds activations whose answer
wrk did not wait for when its time was up). Prints one line.
"""

import json
import sys


def pairs(path):
    with open(path) as lines:
        return {user: int(n) for user, n in (line.split() for line in lines if line.strip())}


def main(sse_path, wrk_path, before_path, after_path):
    with open(sse_path) as file:
        sse = json.load(file)
    with open(wrk_path) as file:
        ok200 = {
            fields[1]: int(fields[2])
            for fields in (line.split() for line in file)
            if fields and fields[0] == "OK200"
        }
    before, after = pairs(before_path), pairs(after_path)
    delivered = expected = by_history = ended = mismatched = 0
    for user, seen in sse["users"].items():
        opened = seen["opened"]
        grown = after.get(user, 0) - before.get(user, 0)
        delivered += seen["events_sum"]
        expected += ok200.get(user, 0) * opened
        by_history += grown * opened
        ended += seen["ended_early"]
        if (seen["events_min"], seen["events_max"]) != (grown, grown):
            mismatched += 1
    share = delivered / expected if expected else float("nan")
    print(
        f"delivered {delivered:,} / expected {expected:,} ({share:.4%}) over {sse['opened']} "
        f"open streams; by history growth {by_history:,}; streams ended early {ended}; "
        f"parents whose streams did not all get exactly their history growth {mismatched}; "
        f"drain {sse['drain_ms']} ms"
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
