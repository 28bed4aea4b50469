"""Objects, resourceVersions and the watch event log, on top of kmock's versioned object array.

Every write gets the next cluster-wide resourceVersion and is appended to an event
log, so a watch can resume from any resourceVersion still in the log. All methods
run on the server's event loop thread; none awaits between reading and writing,
which makes each write atomic without a lock.
"""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import kmock

Key = tuple[kmock.resource, str | None, str]

_LOG_SIZE = 5000


@dataclass(frozen=True)
class Event:
    """One watch event: ADDED, MODIFIED or DELETED, with the object as it was then."""

    rv: int
    type: str
    resource: kmock.resource
    namespace: str | None
    obj: dict[str, Any]


class ObjectStore:
    """The stand-in's etcd: current objects (with history in kmock), a resourceVersion, an event log."""

    def __init__(self, objects: kmock.ObjectsArray) -> None:
        self._objects = objects
        self._rv = 0
        self._log: deque[Event] = deque(maxlen=_LOG_SIZE)
        self._changed: asyncio.Event | None = None
        self._compacted = 0  # resourceVersions up to this one were compacted away (etcd compaction)

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    @property
    def oldest_retained(self) -> int:
        """Watches from a resourceVersion before this one get 410 Expired."""
        dropped = self._log[0].rv - 1 if len(self._log) == self._log.maxlen else 0
        return max(dropped, self._compacted)

    def compact(self) -> None:
        """Forget the history up to now, as an etcd compaction does: older watches and list
        continue tokens answer 410 Expired."""
        self._compacted = self._rv
        self._log.clear()

    def next_rv(self) -> str:
        """Take the next resourceVersion."""
        self._rv += 1
        return str(self._rv)

    def get(self, key: Key) -> dict[str, Any] | None:
        """A copy of the live object at ``key``, or None."""
        if key not in self._objects:
            return None
        obj = self._objects[key]
        return None if obj.deleted else copy.deepcopy(obj.raw)

    def items(self, resource: kmock.resource, namespace: str | None = None) -> list[dict[str, Any]]:
        """Copies of the live objects of ``resource`` (in ``namespace`` if given), ordered by name."""
        found = [
            (ns or "", name, obj)
            for (res, ns, name), obj in self._objects.items()
            if res == resource and (namespace is None or ns == namespace) and not obj.deleted
        ]
        return [copy.deepcopy(obj.raw) for _, _, obj in sorted(found, key=lambda t: (t[0], t[1]))]

    def live_keys(self) -> Iterator[Key]:
        """Every key with a live object."""
        return iter([key for key, obj in self._objects.items() if not obj.deleted])

    def put(self, key: Key, obj: dict[str, Any], event: str) -> None:
        """Store a new version of ``key`` (its resourceVersion already set) and log the event."""
        if key in self._objects:
            self._objects[key].history.append(copy.deepcopy(obj))
        else:
            self._objects[key] = copy.deepcopy(obj)
        self._emit(Event(int(obj["metadata"]["resourceVersion"]), event, key[0], key[1], copy.deepcopy(obj)))

    def delete(self, key: Key, last: dict[str, Any]) -> None:
        """Remove ``key``; ``last`` (with a fresh resourceVersion) is what the DELETED event carries."""
        self._objects[key].delete()
        self._emit(Event(int(last["metadata"]["resourceVersion"]), "DELETED", key[0], key[1], copy.deepcopy(last)))

    def forget(self, key: Key) -> None:
        """Drop ``key`` and its history without an event (reset between test examples)."""
        del self._objects[key]

    def _emit(self, event: Event) -> None:
        self._log.append(event)
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def events_after(self, rv: int, resource: kmock.resource) -> list[Event]:
        """Logged events of ``resource`` newer than ``rv``."""
        return [e for e in self._log if e.rv > rv and e.resource == resource]

    async def wait_change(self, timeout: float) -> None:
        """Return after the next write or after ``timeout`` seconds, whichever is first."""
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            return
