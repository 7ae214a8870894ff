"""Snapshots sealed with an HMAC, so a snapshot edited in the database is never served.

A snapshot is a cache of a stream's state at a version, read instead of replaying the events before it. The
``snapshots`` table is writable by the app's role (it is a cache the app rewrites), so without a seal whoever
can write that table could change what a case says: its state, its facts, the school whose staff may see it.
The seal is HMAC-SHA256, under a key derived from the data key for this purpose only, over the stream, the
version, the hash of the event the snapshot ends at and the state exactly as stored (the bytes parsed on
load, so no re-serialisation can differ from what was sealed). Moving a sealed snapshot to another stream or
version, or pairing it with another event's hash, breaks the seal as surely as editing its state.
"""

from __future__ import annotations

import hmac

import orjson

from caseflow.adapters.secret_box import derive_key

PREFIX = "h1:"
PURPOSE = "snapshot-seal"


class SnapshotSeal:
    def __init__(self, data_key: bytes) -> None:
        self._key = derive_key(data_key, PURPOSE)

    def of(self, stream_id: str, version: int, last_hash: str, state_text: str) -> str:
        # the header is a JSON array: it ends where its closing bracket does, so no field can run into the state
        header = orjson.dumps([stream_id, version, last_hash])
        return PREFIX + hmac.digest(self._key, header + state_text.encode("utf-8"), "sha256").hex()

    def holds(self, seal: str | None, stream_id: str, version: int, last_hash: str, state_text: str) -> bool:
        """Whether ``seal`` is this key's seal of the snapshot; a missing seal never is."""
        if not seal:
            return False
        return hmac.compare_digest(seal, self.of(stream_id, version, last_hash, state_text))
