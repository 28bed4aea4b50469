"""Safe YAML loading for untrusted spec files, keeping the position of every element.

Only the YAML core schema is constructed (no Python tags, no custom tags); duplicate
keys, merge keys and recursive aliases are rejected. File size is capped before parsing, and
nesting depth, node count and alias expansion as the parser's events arrive, so a hostile
document fails at the first event over a cap instead of after the parser has built it all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from harness.spec.diagnostics import Diagnostic, SpecError, display_path

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 20_000  # over ten times the largest spec in the repository
MAX_ALIASES = 1_000
MAX_DEPTH = 100

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVER = yaml.resolver.Resolver()
_IMPLICIT_FIRST = frozenset(_RESOLVER.yaml_implicit_resolvers)
_resolve: Callable[[type[yaml.Node], str | None, tuple[bool, bool] | bool], str] = _RESOLVER.resolve
_TAG = "tag:yaml.org,2002:"
# Timestamps stay strings: JSON Schema checks dates as strings ("format": "date").
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = _TAG + "timestamp"


class Mark(NamedTuple):
    """A 1-based line and column (a tuple: the loader makes one per YAML event)."""

    line: int
    column: int


@dataclass
class Document:
    """A loaded spec file: its data, and where each JSON pointer starts in the text."""

    path: Path
    data: Any
    first_line: str
    positions: dict[str, Mark] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def mark(self, pointer: str) -> Mark:
        """The position of ``pointer`` or of its nearest ancestor that has one."""
        while True:
            found = self.positions.get(pointer)
            if found is not None:
                return found
            if not pointer:
                return Mark(1, 1)
            pointer = pointer.rsplit("/", 1)[0]

    def diagnostic(self, pointer: str, code: str, message: str, **kw: Any) -> Diagnostic:
        m = self.mark(pointer)
        return Diagnostic(self.name, m.line, m.column, pointer, code, message, **kw)


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _fail(path: Path, line: int, column: int, code: str, message: str) -> SpecError:
    return SpecError(Diagnostic(display_path(path), line, column, "", code, message))


def load_document(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Load one YAML document safely. Raises SpecError with a located diagnostic."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise _fail(path, 0, 0, "io-error", f"cannot read file: {exc.strerror}") from exc
    if len(raw) > max_bytes:
        raise _fail(path, 0, 0, "file-too-large", f"file is larger than the {max_bytes} byte limit for specs")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(path, line, 1, "not-utf8", "file is not valid UTF-8") from exc
    return load_text(text, path)


def load_text(text: str, path: Path) -> Document:
    """Parse ``text`` (the content of ``path``) into a Document."""
    if len(text) > MAX_FILE_BYTES:
        raise _fail(path, 0, 0, "file-too-large", f"file is larger than the {MAX_FILE_BYTES} byte limit for specs")
    builder = _EventBuilder(path)
    try:
        data = builder.build(_Loader(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise _fail(path, line, col, "yaml-syntax", f"YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise _fail(path, 0, 0, "yaml-syntax", f"YAML error: {exc}") from exc
    if data is _NONE:
        raise _fail(path, 1, 1, "empty-document", "file holds no YAML document")
    return Document(path=path, data=data, first_line=text.split("\n", 1)[0], positions=dict(builder.positions))


_NONE: Any = object()
_NODE_EVENTS = frozenset({yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent})


@dataclass
class _Anchor:
    """An anchored node, built once: what an alias to it expands to and costs."""

    value: Any
    mark: Mark
    positions: list[tuple[str, Mark]]  # below the anchored node, relative to its pointer
    nodes: int
    expansions: int
    scalar: bool


@dataclass
class _Open:
    """A sequence or mapping whose end event has not arrived yet."""

    value: Any
    pointer: str
    mark: Mark
    anchor: str | None
    nodes_before: int
    expansions_before: int
    positions_before: int
    key: Any = _NONE
    first_seen: dict[str, int] = field(default_factory=dict)


class _EventBuilder:
    """Builds plain data and positions straight from the parser's events, counting as they arrive.

    The caps (depth, nodes, alias expansions) are checked on each event, before the work it
    would cause: an alias is charged the size of what it expands to before it is copied, so a
    hostile document stops at the first event over a cap instead of after composing a graph.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.positions: list[tuple[str, Mark]] = []
        self.nodes = 0
        self.expansions = 0
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Open] = []

    def _error(self, mark: Mark, code: str, message: str) -> SpecError:
        return _fail(self.path, mark.line, mark.column, code, message)

    def build(self, loader: Any) -> Any:
        root: Any = _NONE
        documents = 0
        try:
            while loader.check_event():
                event = loader.get_event()
                kind = type(event)
                if kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                    root = self._attach(self._close(self.stack.pop()), root)
                    continue
                start = event.start_mark
                mark = Mark(start.line + 1, start.column + 1)
                if kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise self._error(
                            mark,
                            "yaml-syntax",
                            "YAML syntax error: expected a single document in the stream, but found another document",
                        )
                elif kind in _NODE_EVENTS:
                    stack = self.stack
                    if stack and stack[-1].key is _NONE and type(stack[-1].value) is dict:
                        self._key(event, mark)
                    else:
                        root = self._node(event, mark, root)
        finally:
            loader.dispose()
        return root

    def _pointer(self) -> str:
        if not self.stack:
            return ""
        top = self.stack[-1]
        if isinstance(top.value, dict):
            return f"{top.pointer}/{escape_pointer_token(top.key)}"
        return f"{top.pointer}/{len(top.value)}"

    def _count(self, nodes: int, mark: Mark) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self._error(mark, "node-limit", f"document has or expands to more than {MAX_NODES} nodes")

    def _node(self, event: Any, mark: Mark, root: Any) -> Any:
        pointer = self._pointer()
        in_mapping = bool(self.stack) and isinstance(self.stack[-1].value, dict)
        if isinstance(event, yaml.AliasEvent):
            anchor = self._anchor(event, mark)
            if not in_mapping:
                self.positions.append((pointer, anchor.mark))
            # Every alias counts, a scalar's too: a flood of cheap aliases is still work per event.
            self.expansions += 1 + anchor.expansions
            if self.expansions > MAX_ALIASES:
                raise self._error(mark, "alias-limit", f"more than {MAX_ALIASES} alias expansions")
            self._count(anchor.nodes, mark)
            if anchor.scalar:
                return self._attach(anchor.value, root)
            self.positions.extend((pointer + rel, m) for rel, m in anchor.positions)
            return self._attach(copy.deepcopy(anchor.value), root)
        self._count(1, mark)
        if not in_mapping:
            self.positions.append((pointer, mark))
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event, mark)
            if event.anchor:
                self.anchors[event.anchor] = _Anchor(value, mark, [], 1, 0, True)
            return self._attach(value, root)
        if len(self.stack) >= MAX_DEPTH:
            raise self._error(mark, "depth-limit", f"nesting is deeper than {MAX_DEPTH} levels")
        is_map = isinstance(event, yaml.MappingStartEvent)
        self._check_tag(
            event, mark, yaml.MappingNode if is_map else yaml.SequenceNode, _TAG + ("map" if is_map else "seq")
        )
        self.stack.append(
            _Open({} if is_map else [], pointer, mark, event.anchor, self.nodes, self.expansions, len(self.positions))
        )
        return root

    def _anchor(self, event: Any, mark: Mark) -> _Anchor:
        if any(open_.anchor == event.anchor for open_ in self.stack):
            raise self._error(mark, "recursive-alias", "an alias refers to a node that contains it")
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise self._error(mark, "yaml-syntax", f"YAML syntax error: found undefined alias {event.anchor!r}")
        return anchor

    def _close(self, open_: _Open) -> Any:
        if open_.anchor:
            cut = len(open_.pointer)
            self.anchors[open_.anchor] = _Anchor(
                open_.value,
                open_.mark,
                [(p[cut:], m) for p, m in self.positions[open_.positions_before :]],
                self.nodes - open_.nodes_before + 1,
                self.expansions - open_.expansions_before,
                False,
            )
        return open_.value

    def _attach(self, value: Any, root: Any) -> Any:
        if not self.stack:
            return value
        top = self.stack[-1]
        if isinstance(top.value, dict):
            top.value[top.key] = value
            top.key = _NONE
        else:
            top.value.append(value)
        return root

    def _key(self, event: Any, mark: Mark) -> None:
        top = self.stack[-1]
        if isinstance(event, yaml.AliasEvent):
            anchor = self._anchor(event, mark)
            if not anchor.scalar:
                raise self._error(mark, "complex-key", "mapping keys must be plain scalars")
            key = anchor.value
        elif isinstance(event, yaml.ScalarEvent):
            if event.tag is None and event.implicit[0] and event.value == "<<":
                raise self._error(mark, "disallowed-tag", "merge keys ('<<') are not supported in specs")
            key = self._scalar(event, mark)
            if event.anchor:
                self.anchors[event.anchor] = _Anchor(key, mark, [], 1, 0, True)
        else:
            raise self._error(mark, "complex-key", "mapping keys must be plain scalars")
        if not isinstance(key, str | int | bool) or key is None:
            raise self._error(mark, "complex-key", "mapping keys must be strings or numbers")
        skey = str(key)
        if skey in top.first_seen:
            raise self._error(
                mark, "duplicate-key", f"duplicate key {skey!r} (first defined on line {top.first_seen[skey]})"
            )
        top.first_seen[skey] = mark.line
        top.key = skey
        self.positions.append((f"{top.pointer}/{escape_pointer_token(skey)}", mark))

    def _check_tag(self, event: Any, mark: Mark, kind: type[yaml.Node], expected: str) -> None:
        tag = event.tag if event.tag not in (None, "!") else _resolve(kind, None, event.implicit)
        if tag != expected:
            raise self._error(mark, "disallowed-tag", f"YAML tag {tag!r} is not allowed in specs")

    def _scalar(self, event: Any, mark: Mark) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            value = event.value
            # Only a plain scalar whose first character some implicit resolver claims can be other than a string.
            if event.implicit[0] and (value[:1] in _IMPLICIT_FIRST):
                tag = _resolve(yaml.ScalarNode, value, event.implicit)
            else:
                tag = _TAG + "str"
        if tag == _TAG + "str" or tag == _TIMESTAMP:
            return event.value
        if tag not in _SCALAR_TAGS:
            raise self._error(
                mark,
                "disallowed-tag",
                f"YAML tag {tag!r} is not allowed in specs (only plain strings, numbers, booleans, null)",
            )
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
