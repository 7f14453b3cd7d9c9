#!/usr/bin/env python3
"""Exports every event of the history through GET /admin/tracking/export and, for comparison,
pages through GET /admin/tracking 500 at a time over one keep-alive connection; samples the
server's VmRSS and VmHWM from /proc while the export runs.

    export_vs_paging.py ADDR ADMIN_TOKEN SERVER_PID [--export-only]

With --export-only the paging loop is left out (on PostgreSQL each page's offset is read again,
so the loop over 1,000,000 events takes hours). Prints one `RESULT key=value ...` line.
"""

import http.client
import json
import sys
import threading
import time


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def export(addr, token, pid):
    before = memory(pid)
    peak_rss = before["VmRSS"]
    done = threading.Event()

    def sample():
        nonlocal peak_rss
        while not done.wait(0.02):
            peak_rss = max(peak_rss, memory(pid)["VmRSS"])

    sampler = threading.Thread(target=sample)
    sampler.start()
    connection = http.client.HTTPConnection(addr)
    started = time.monotonic()
    connection.request("GET", "/admin/tracking/export?format=ndjson",
                       headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    assert response.status == 200, response.status
    lines = 0
    size = 0
    while True:
        chunk = response.read(1 << 16)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    after = memory(pid)
    return {
        "export_events": lines,
        "export_mib": round(size / (1 << 20), 1),
        "export_s": round(seconds, 2),
        "export_events_per_s": round(lines / seconds),
        "rss_before_mib": round(before["VmRSS"], 1),
        "hwm_before_mib": round(before["VmHWM"], 1),
        "rss_peak_during_mib": round(peak_rss, 1),
        "hwm_after_mib": round(after["VmHWM"], 1),
    }


def paging(addr, token):
    connection = http.client.HTTPConnection(addr)
    started = time.monotonic()
    offset = 0
    while True:
        connection.request("GET", f"/admin/tracking?limit=500&offset={offset}",
                           headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        assert response.status == 200, response.status
        items = json.loads(response.read())["items"]
        if not items:
            break
        offset += len(items)
    seconds = time.monotonic() - started
    return {
        "paging_events": offset,
        "paging_s": round(seconds, 2),
        "paging_events_per_s": round(offset / seconds),
    }


def main():
    addr, token, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = export(addr, token, pid)
    if sys.argv[4:] != ["--export-only"]:
        result.update(paging(addr, token))
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
