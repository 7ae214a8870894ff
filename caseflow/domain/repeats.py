"""An entry recorded twice by mistake: saved, then sent again from the form the browser's Back brings (fetched again,
so it carries the version now, with the values typed put back), or from a second press of the button. Each such copy
counts again in the figures a report gives (incidents, contacts with the family), so a form does not record one
silently: the person is asked whether it is another.

The same entry is the same person's, of the same type, with the same data: every value the form writes, the day it
happened among them, so marks for another day, a second call with other words, or a colleague's own record of a
meeting they were both at are recorded as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from caseflow.domain.events import NewEvent, StoredEvent, canonical_json

#: how long after an entry the same person's identical entry is asked about. Back and send again, or a second press,
#: comes within seconds or minutes of the first; 30 minutes covers a form left open through a phone call or a lesson.
#: Longer, and an entry that is truly another one with the same words (a second "no answer" call later in the day)
#: would be asked about too; a person asked needs only tick a box, but asking every time teaches them to tick it unread.
REPEAT_WINDOW = timedelta(minutes=30)


def same_entry(new: NewEvent, earlier: StoredEvent) -> bool:
    """Whether ``new`` records what ``earlier`` did, by the same person. Compared as the log holds data (its
    canonical JSON), so a value kept as a tuple and read back as a list is the same."""
    return (
        earlier.event_type == new.event_type
        and earlier.actor == new.actor
        and canonical_json(dict(earlier.data)) == canonical_json(dict(new.data))
    )


def repeated(new: NewEvent, recent: Iterable[StoredEvent]) -> StoredEvent | None:
    """The newest of ``recent`` (a stream's entries of the last ``REPEAT_WINDOW``) that ``new`` repeats, if any."""
    found = None
    for earlier in recent:
        if same_entry(new, earlier) and (found is None or earlier.version > found.version):
            found = earlier
    return found
