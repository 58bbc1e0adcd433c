"""The seed's classes: ``Mindmap``, ``TimeStamp`` and ``Process``.

The API is the one documented in the user's design document (``processes.py``);
persistence goes through :mod:`processes.store`, so the seed's file methods are
locked and atomic. Where the seed had flaws, the API is kept and the behaviour
fixed (see the README's "Library" section).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, KeysView, ValuesView
from typing import Any

from . import timeline as tlm
from .store import Document, Store
from .uid import draw_uid

# -- Mindmap -------------------------------------------------------------------------------


class Mindmap:
    """A directed graph of process names, ``{node: [node, ...]}``. Cycles are allowed."""

    def __init__(self, map: dict[str, list[str]]) -> None:  # noqa: A002 - the seed's name
        """A mindmap maps the schematics of a process: nodes and their edges."""
        self.map = map

    def nodes(self) -> KeysView[str]:
        """All node names."""
        return self.map.keys()

    def edges(self) -> ValuesView[list[str]]:
        """The edge lists, one per node."""
        return self.map.values()

    def connections(self, node: str) -> list[str]:
        """The nodes ``node`` points to (``[]`` for an unknown node)."""
        return self.map.get(node, [])

    def connected(self, src: str, node: str) -> bool:
        """True when the edge ``src -> node`` exists."""
        return node in self.map.get(src, ())

    def connect(self, src: str, node: str, direction: bool | None = None) -> None:
        """Add ``src -> node`` (False), ``node -> src`` (True) or both (None).

        Missing nodes are created; an existing edge is never duplicated.
        """
        for a, b in _directed(src, node, direction):
            self.map.setdefault(b, [])
            edges = self.map.setdefault(a, [])
            if b not in edges:
                edges.append(b)

    def disconnect(self, src: str, node: str, direction: bool | None = None) -> int:
        """Remove edges chosen like :meth:`connect`; returns how many were removed."""
        removed = 0
        for a, b in _directed(src, node, direction):
            edges = self.map.get(a)
            if edges is not None and b in edges:
                edges.remove(b)
                removed += 1
        return removed

    def roots(self) -> list[str]:
        """Nodes to draw the map from: those no edge points to, then one node of
        each part made only of cycles, so that every node is reachable from one."""
        pointed = {b for edges in self.map.values() for b in edges}
        out = [n for n in self.map if n not in pointed]
        seen: set[str] = set()
        for root in out:
            seen.update(self.reachable(root))
        for node in self.map:
            if node not in seen:
                out.append(node)
                seen.update(self.reachable(node))
        return out

    def reachable(self, start: str) -> list[str]:
        """Every node reachable from ``start`` (itself first), each once; cycles end."""
        seen = [start]
        known = {start}
        i = 0
        while i < len(seen):
            for nxt in self.map.get(seen[i], ()):
                if nxt not in known:
                    known.add(nxt)
                    seen.append(nxt)
            i += 1
        return seen


def _directed(src: str, node: str, direction: bool | None) -> list[tuple[str, str]]:
    if direction is None:
        return [(src, node), (node, src)]
    return [(node, src)] if direction else [(src, node)]


# -- TimeStamp -----------------------------------------------------------------------------


class TimeStamp:
    """A time interval with nested, named disruptions.

    ``ts`` is ``{"initialized": int, "terminated": int, "disruptions": [{type: TimeStamp}]}``;
    ``terminated == -1`` means ongoing.
    """

    def __init__(self, _init: int, _term: int, _dis: dict[str, Any] | None = None) -> None:
        """_init: start (epoch seconds); _term: end (-1 = ongoing); _dis: {type: TimeStamp}."""
        self.ts: dict[str, Any] = {"initialized": _init, "terminated": _term}
        self.ts["disruptions"] = []
        self._dis_key = True  # whether "disruptions" is written when empty
        if _dis is not None:
            for i in _dis:
                self.ts["disruptions"].append({i: _as_timestamp(_dis[i])})

    def add_disruption(self, type: str, ts: TimeStamp) -> None:  # noqa: A002 - the seed's name
        """Add a disruption of kind ``type`` (``"pause"``, ...); several of a kind are kept."""
        self.ts["disruptions"].append({type: _as_timestamp(ts)})

    def serialize_disruptions(self) -> list[dict[str, Any]]:
        """The disruptions as JSON-ready data: ``[{type: timeline}, ...]``."""
        return [
            {kind: TimeStamp._timeline_dict(sub) for kind, sub in item.items()}
            for item in self.ts["disruptions"]
        ]

    def _timeline_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.ts.items():
            if key == "disruptions":
                if value or self._dis_key:
                    out[key] = self.serialize_disruptions()
            else:
                out[key] = value
        return out

    def to_hierarchical_dict(self) -> dict[str, Any]:
        """The complete timeline as a dict."""
        return self._timeline_dict()

    def to_hierearchial_dict(self) -> dict[str, Any]:
        """The seed's spelling of :meth:`to_hierarchical_dict`."""
        return self.to_hierarchical_dict()

    @staticmethod
    def de_serialize(dis: list[dict[str, Any]]) -> dict[str, TimeStamp]:
        """Rebuild ``{type: TimeStamp}`` from a JSON disruption list.

        As documented by the seed this is keyed by type, so of several disruptions
        of one type only the last survives; loading never goes through it.
        """
        out: dict[str, TimeStamp] = {}
        for item in dis:
            for kind, sub in item.items():
                out[kind] = TimeStamp._from_dict(sub)
        return out

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> TimeStamp:
        obj = cls.__new__(cls)
        obj._load_timeline(data)
        return obj

    def _load_timeline(self, data: dict[str, Any]) -> None:
        # Lossless: every key kept in order, every disruption kept, nesting kept.
        self.ts = {}
        self._dis_key = "disruptions" in data
        for key, value in data.items():
            if key == "disruptions":
                self.ts[key] = [
                    {kind: TimeStamp._from_dict(sub) for kind, sub in item.items()}
                    for item in value
                ]
            else:
                self.ts[key] = value
        self.ts.setdefault("disruptions", [])

    # Convenience over the plain-data functions in processes.timeline.

    def _as_record(self) -> dict[str, Any]:
        return {"uid": "0-0000", "timeline": self._timeline_dict()}

    @property
    def state(self) -> str:
        """``"running"``, ``"paused"`` or ``"stopped"``."""
        return tlm.state(self._as_record())

    def duration_s(self, now: int | None = None) -> int:
        """Seconds from start to end (or ``now`` while ongoing)."""
        return tlm.duration_s(self._as_record(), now)

    def active_s(self, now: int | None = None) -> int:
        """``duration_s`` minus the union of the top-level disruptions."""
        return tlm.active_s(self._as_record(), now)


def _as_timestamp(value: Any) -> TimeStamp:
    if isinstance(value, TimeStamp):
        return value
    if isinstance(value, dict):
        return TimeStamp._from_dict(value)
    raise TypeError(f"a disruption is a TimeStamp or a timeline dict, not {type(value).__name__}")


# -- Process -------------------------------------------------------------------------------

# How many live Process objects hold each UID (a loaded copy may share its UID).
_live_uids: dict[str, int] = {}


def _hold(uid: str) -> None:
    _live_uids[uid] = _live_uids.get(uid, 0) + 1


def _release(cell: list[str]) -> None:
    uid = cell[0]
    left = _live_uids.get(uid, 0) - 1
    if left > 0:
        _live_uids[uid] = left
    else:
        _live_uids.pop(uid, None)


class Process(TimeStamp):
    """A named, layered process with a timeline, tracked while it is alive."""

    __instances: weakref.WeakSet[Process] = weakref.WeakSet()

    def __init__(
        self,
        name: str,
        layer: int,
        _init: int,
        _term: int,
        _dis: dict[str, Any] | None = None,
    ) -> None:
        """Create a process with a fresh UID ``"{layer}-{hex}"`` no live process holds.

        name: the process's name; layer: 0 allows parallel processes, N >= 1 one
        active at a time; _init/_term: start and end (-1 = ongoing); _dis: disruptions.
        """
        if type(layer) is not int or layer < 0:
            raise ValueError(f"a layer is an integer >= 0, not {layer!r}")
        super().__init__(_init, _term, _dis)
        self.name = name
        self.layer = layer
        self._extra: dict[str, Any] = {}
        self._homes: set[str] = set()
        self._fresh = True
        self._set_first_uid(draw_uid(layer, _live_uids.__contains__))

    def _set_first_uid(self, uid: str) -> None:
        self._uid_cell = [uid]
        _hold(uid)
        weakref.finalize(self, _release, self._uid_cell)
        Process.__instances.add(self)

    @property
    def uid(self) -> str:
        """``"{layer}-{hex}"``; changes only when a write finds it taken by another record."""
        return self._uid_cell[0]

    @uid.setter
    def uid(self, value: str) -> None:
        _release(self._uid_cell)
        self._uid_cell[0] = value
        _hold(value)

    def __repr__(self) -> str:
        return f"Process(name={self.name!r}, uid={self.uid!r}, timeline={self._timeline_dict()!r})"

    # -- serialization ---------------------------------------------------------------

    def to_hierarchical_dict(self) -> dict[str, Any]:
        """The full process record: ``{"name", "uid", "timeline", ...}``."""
        out: dict[str, Any] = {"name": self.name, "uid": self.uid}
        out["timeline"] = self._timeline_dict()
        for key, value in self._extra.items():
            out.setdefault(key, value)
        return out

    def to_hierearchial_dict(self) -> dict[str, Any]:
        """The seed's spelling of :meth:`to_hierarchical_dict`."""
        return self.to_hierarchical_dict()

    def to_storage_dict(self) -> tuple[str, dict[str, Any]]:
        """``(uid, record)``, ready to be stored under its UID."""
        return self.uid, self.to_hierarchical_dict()

    def _as_record(self) -> dict[str, Any]:
        return {"uid": self.uid, "timeline": self._timeline_dict()}

    # -- persistence -----------------------------------------------------------------

    def _claim(self, doc: Document, real: str) -> None:
        # Draw a new UID if the stored record under ours is somebody else's.
        existing = doc.processes.get(self.uid)
        if existing is None or self._owns(existing, real):
            return
        procs = doc.processes
        self.uid = draw_uid(self.layer, lambda u: u in procs or u in _live_uids)

    def _owns(self, existing: Any, real: str) -> bool:
        if real in self._homes:
            return True
        if self._fresh or not isinstance(existing, dict):
            return False
        # A copy made by load_dict: the same process if name and start agree.
        tl = existing.get("timeline")
        return (
            existing.get("name") == self.name
            and isinstance(tl, dict)
            and tl.get("initialized") == self.ts["initialized"]
        )

    def write(self, ofile: str | os.PathLike[str]) -> str:
        """Save or update this process in the store ``ofile``; returns the path.

        Locked and atomic. If the UID belongs to a record this process did not
        come from, a new UID is drawn first (``self.uid`` changes).
        """
        store = Store(ofile)
        real = store.real
        with store.transaction() as doc:
            self._claim(doc, real)
            doc.put(self.to_hierarchical_dict())
        self._homes.add(real)
        return store.path

    @classmethod
    def load_dict(cls, data: dict[str, Any]) -> Process:
        """A process from its record; ``disruptions`` may be absent; the UID is kept."""
        uid = data["uid"]
        obj = cls.__new__(cls)
        obj._load_timeline(data["timeline"])
        obj.name = data["name"]
        obj.layer = tlm.layer_of(uid)
        obj._extra = {k: v for k, v in data.items() if k not in ("name", "uid", "timeline")}
        obj._homes = set()
        obj._fresh = False
        obj._set_first_uid(uid)
        return obj

    @classmethod
    def storeAll(cls, ofile: str | os.PathLike[str]) -> str:  # noqa: N802 - the seed's name
        """Merge every live process into the store in one locked change; returns the path."""
        store = Store(ofile)
        real = store.real
        live = list(cls.__instances)
        with store.transaction() as doc:
            for proc in live:
                proc._claim(doc, real)
                doc.put(proc.to_hierarchical_dict())
        for proc in live:
            proc._homes.add(real)
        return store.path

    @classmethod
    def loadAll(cls, ofile: str | os.PathLike[str]) -> list[Process]:  # noqa: N802
        """Every process in the store, as objects."""
        store = Store(ofile)
        return cls._from_records(store, store.read().processes.values())

    @classmethod
    def load(cls, uid: str, ofile: str | os.PathLike[str]) -> Process | None:
        """The process stored under ``uid``, or None."""
        store = Store(ofile)
        rec = store.read().processes.get(uid)
        if rec is None:
            return None
        return cls._from_records(store, [rec])[0]

    @classmethod
    def _from_records(cls, store: Store, records: Iterable[dict[str, Any]]) -> list[Process]:
        real = store.real
        out = []
        for rec in records:
            proc = cls.load_dict(rec)
            proc._homes.add(real)
            out.append(proc)
        return out

    @staticmethod
    def get_layer_from_uid(uid: str) -> int:
        """The layer of a UID: ``"1-a3f2"`` -> 1."""
        return tlm.layer_of(uid)

    @staticmethod
    def remove(uid: str, ofile: str | os.PathLike[str]) -> bool:
        """Remove the process ``uid`` from the store; False when it was not there."""
        with Store(ofile).transaction() as doc:
            return doc.delete(uid)

    @staticmethod
    def clear_storage(ofile: str | os.PathLike[str]) -> None:
        """Remove every process from the store (the mindmap and unknown keys stay)."""
        with Store(ofile).transaction() as doc:
            doc.clear()

    @classmethod
    def instances(cls) -> list[Process]:
        """The live processes (the seed's automatic tracking)."""
        return list(cls.__instances)
