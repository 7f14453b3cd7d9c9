"""Seeds a family through the API for scripts/schemathesis.sh and prints the parent's token."""

import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1]
ADMIN = os.environ["ADMIN_TOKEN"]


def call(method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


for _ in range(300):
    try:
        call("GET", "/health")
        break
    except (urllib.error.URLError, ConnectionError):
        time.sleep(0.1)
else:
    sys.exit("the server did not start")

parent = call("POST", "/admin/users", ADMIN, {"name": "Alex"})
token = parent["token"]
sam = call("POST", "/children", token, {"name": "Sam"})["id"]
call("POST", "/children", token, {"name": "Robin"})
bed = call("POST", "/tasks", token, {"name": "Make bed", "points": 5, "is_good": True})["id"]
homework = call("POST", "/tasks", token, {"name": "Homework", "points": 10, "is_good": True})["id"]
hitting = call("POST", "/tasks", token, {"name": "Hitting", "points": 4, "is_good": False})["id"]
ice = call("POST", "/rewards", token, {"name": "Ice cream", "cost": 10})["id"]
call("POST", "/rewards", token, {"name": "Screen time", "cost": 12})
for task in (bed, homework, hitting, bed):
    call("POST", f"/children/{sam}/tasks/{task}/activate", token)
call("POST", f"/children/{sam}/rewards/{ice}/request", token)
print(token)
