"""Schemathesis hooks of scripts/schemathesis.sh: each request keeps its own Idempotency-Key, and
the seeded records the tracked mutations draw from are not deleted.

Schemathesis draws header values from a small space, so a key it generated once comes back on
later requests: with another path or body the contract answers 422 idempotency_key_reused, and
with the same one it replays a first answer whose resource may have been deleted since (which its
stateful checks then report as a created resource not found). Both answers are right, and the
Rust tests check them; here every valid key is replaced by a fresh one, as a real client (api.ts)
sends, so that the keyed requests reach the mutations. Invalid keys (empty, too long, not visible
ASCII) are sent as generated, for the 400 they must get.

Schemathesis also learns ids from answers (`GET /rewards` lists the seeded rewards) and may
delete them early in the run; the tracked mutations, whose paths draw from those ids, then only
find 404. A `DELETE` naming a seeded id (SCHEMATHESIS_PROTECTED_IDS) is sent with an id that
names nothing instead: it gets the 404 of an unknown id, and every other deletion goes as drawn.
"""

import os
import random
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
PROTECTED = set(os.environ.get("SCHEMATHESIS_PROTECTED_IDS", "").split())
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def unknown_id():
    return "01" + "".join(random.choice(CROCKFORD) for _ in range(24))


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and VALID_KEY.match(value):
                headers[name] = f"schemathesis-{uuid.uuid4()}"
    if case.method.upper() == "DELETE" and case.path_parameters:
        for name, value in list(case.path_parameters.items()):
            if value in PROTECTED:
                case.path_parameters[name] = unknown_id()
