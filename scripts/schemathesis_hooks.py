"""Schemathesis hooks of scripts/schemathesis.sh: each request keeps its own Idempotency-Key.

Schemathesis draws header values from a small space, so a key it generated once comes back on
later requests: with another path or body the contract answers 422 idempotency_key_reused, and
with the same one it replays a first answer whose resource may have been deleted since (which its
stateful checks then report as a created resource not found). Both answers are right, and the
Rust tests check them; here every valid key is replaced by a fresh one, as a real client (api.ts)
sends, so that the keyed requests reach the mutations. Invalid keys (empty, too long, not visible
ASCII) are sent as generated, for the 400 they must get.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and VALID_KEY.match(value):
                headers[name] = f"schemathesis-{uuid.uuid4()}"
