"""The log's heads: each stream's last version and hash at a moment, kept outside the database.

A hash chain shows that no event inside a stream was changed, but whoever can write to the database can
delete a stream's latest events, or a whole stream, or rewrite a stream and hash it again, and the chains
still verify. Against heads saved earlier (printed, mailed to the auditor, written to storage the
database's owner cannot change), every anchored event must still be there with the same hash: the log
may only have grown since (security plan, D2 and D4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from caseflow.domain.errors import InvalidData
from caseflow.domain.events import iso

FORMAT = "caseflow-log-heads/1"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class LogHeads:
    taken_at: datetime
    #: stream id -> (its last version, that event's hash)
    heads: Mapping[str, tuple[int, str]]

    @property
    def events(self) -> int:
        return sum(version for version, _ in self.heads.values())

    @property
    def digest(self) -> str:
        """One hash over the time and every head, short enough to note down apart from the file (the file
        alone proves nothing against whoever can edit it: they can recompute this)."""
        found = hashlib.sha256(f"{iso(self.taken_at)}\n".encode())
        for stream_id in sorted(self.heads):
            version, hash_ = self.heads[stream_id]
            found.update(f"{stream_id}\t{version}\t{hash_}\n".encode())
        return found.hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "taken_at": iso(self.taken_at),
            "streams": len(self.heads),
            "events": self.events,
            "digest": self.digest,
            "heads": {s: [v, h] for s, (v, h) in sorted(self.heads.items())},
        }

    @classmethod
    def from_dict(cls, data: Any) -> LogHeads:
        """Heads as ``as_dict`` wrote them; refused, saying why, if the file is not such heads or its
        digest does not match its heads (it was changed since)."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise InvalidData({"heads": [f"is not a file of the log's heads (format {FORMAT})"]})
        raw = data.get("heads")
        if not isinstance(raw, Mapping):
            raise InvalidData({"heads": ["has no heads"]})
        heads: dict[str, tuple[int, str]] = {}
        for stream_id, head in raw.items():
            if not (
                isinstance(stream_id, str)
                and isinstance(head, list)
                and len(head) == 2
                and isinstance(head[0], int)
                and not isinstance(head[0], bool)
                and head[0] >= 1
                and isinstance(head[1], str)
                and len(head[1]) == 64
                and set(head[1]) <= _HEX
            ):
                raise InvalidData({"heads": [f"the head of stream {str(stream_id)[:64]!r} is not [version, hash]"]})
            heads[stream_id] = (head[0], head[1])
        try:
            taken_at = datetime.fromisoformat(str(data.get("taken_at")))
        except ValueError:
            taken_at = None
        if taken_at is None or taken_at.utcoffset() != timedelta(0) or not 2000 <= taken_at.year <= 9998:
            raise InvalidData({"heads": ["has no time in UTC it was taken at"]})
        found = cls(taken_at, heads)
        if found.digest != data.get("digest"):
            raise InvalidData(
                {"heads": ["has a digest that does not match its heads: the file was damaged or edited after it was saved"]}
            )
        return found
