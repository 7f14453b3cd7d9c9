"""Seeds a family through the API for scripts/schemathesis.sh.

Prints shell assignments: the parent's token (PARENT_TOKEN) and the ids that
scripts/schemathesis.sh gives Schemathesis as dictionaries for the tracked mutations' paths
(SEED_CHILDREN, SEED_TASKS, SEED_REWARDS), so those reach real records and not only 404s.
"""

import json
import os
import shlex
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

# The mutations' targets: two children with points to spend, a good task, a penalty and two
# cheap rewards, each requested once, so that requests, redemptions and cancellations succeed
# as often as the children's state allows (and answer 409 otherwise).
jo = call("POST", "/children", token, {"name": "Jo"})["id"]
kim = call("POST", "/children", token, {"name": "Kim"})["id"]
chores = call("POST", "/tasks", token, {"name": "Chores", "points": 1000, "is_good": True})["id"]
shouting = call("POST", "/tasks", token, {"name": "Shouting", "points": 1, "is_good": False})["id"]
sticker = call("POST", "/rewards", token, {"name": "Sticker", "cost": 1})["id"]
story = call("POST", "/rewards", token, {"name": "Story", "cost": 2})["id"]
for child in (jo, kim):
    for _ in range(5):
        call("POST", f"/children/{child}/tasks/{chores}/activate", token)
    # A pending request of each seeded reward, so that a cancellation finds one.
    for reward in (sticker, story):
        call("POST", f"/children/{child}/rewards/{reward}/request", token)

# A token for Jo's own device: the third run acts as that child.
child_token = call("POST", f"/children/{jo}/tokens", token)["token"]

for name, value in (
    ("PARENT_TOKEN", token),
    ("CHILD_TOKEN", child_token),
    ("CHILD_ID", jo),
    ("SEED_CHILDREN", f"{jo} {kim}"),
    ("SEED_TASKS", f"{chores} {shouting}"),
    ("SEED_REWARDS", f"{sticker} {story}"),
):
    print(f"{name}={shlex.quote(value)}")
