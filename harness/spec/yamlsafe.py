"""Safe YAML loading for untrusted spec files, keeping the position of every element.

Only the YAML core schema is constructed (no Python tags, no custom tags); duplicate
keys, merge keys and recursive aliases are rejected; alias expansion and file size are
capped so a hostile document fails fast instead of exhausting memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.spec.diagnostics import Diagnostic, SpecError, display_path

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_ALIASES = 1_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TAG = "tag:yaml.org,2002:"
# Timestamps stay strings: JSON Schema checks dates as strings ("format": "date").
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = _TAG + "timestamp"


@dataclass(frozen=True)
class Mark:
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
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise _fail(path, line, col, "yaml-syntax", f"YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise _fail(path, 0, 0, "yaml-syntax", f"YAML error: {exc}") from exc
    first_line = text.split("\n", 1)[0]
    doc = Document(path=path, data=None, first_line=first_line)
    if node is None:
        raise _fail(path, 1, 1, "empty-document", "file holds no YAML document")
    builder = _Builder(doc)
    doc.data = builder.build(node, "")
    return doc


class _Builder:
    """Turns a composed node graph into plain data while recording marks."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.nodes = 0
        self.aliases = 0
        self.seen: set[int] = set()
        self.stack: set[int] = set()

    def _error(self, node: yaml.Node, code: str, message: str) -> SpecError:
        m = node.start_mark
        return _fail(self.doc.path, m.line + 1, m.column + 1, code, message)

    def build(self, node: yaml.Node, pointer: str) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._error(node, "alias-limit", f"document expands to more than {MAX_NODES} nodes")
        key = id(node)
        if key in self.stack:
            raise self._error(node, "recursive-alias", "an alias refers to a node that contains it")
        if key in self.seen and not isinstance(node, yaml.ScalarNode):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise self._error(node, "alias-limit", f"more than {MAX_ALIASES} alias expansions")
        self.seen.add(key)
        self.doc.positions.setdefault(pointer, Mark(node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        self.stack.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, _TAG + "seq")
                return [self.build(item, f"{pointer}/{i}") for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                self._check_tag(node, _TAG + "map")
                return self._mapping(node, pointer)
        finally:
            self.stack.discard(key)
        raise self._error(node, "yaml-syntax", "unsupported YAML node")

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise self._error(node, "disallowed-tag", f"YAML tag {node.tag!r} is not allowed in specs")

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise self._error(
                node,
                "disallowed-tag",
                f"YAML tag {node.tag!r} is not allowed in specs (only plain strings, numbers, booleans, null)",
            )
        return _CONSTRUCTOR.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, pointer: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise self._error(key_node, "disallowed-tag", "merge keys ('<<') are not supported in specs")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, "complex-key", "mapping keys must be plain scalars")
            key = self._scalar(key_node)
            if not isinstance(key, str | int | bool) or key is None:
                raise self._error(key_node, "complex-key", "mapping keys must be strings or numbers")
            skey = str(key)
            if skey in first_seen:
                raise self._error(
                    key_node,
                    "duplicate-key",
                    f"duplicate key {skey!r} (first defined on line {first_seen[skey]})",
                )
            first_seen[skey] = key_node.start_mark.line + 1
            child = f"{pointer}/{escape_pointer_token(skey)}"
            self.doc.positions[child] = Mark(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[skey] = self.build(value_node, child)
        return result
