"""``$ref`` resolution inside spec documents.

Refs are inlined so that downstream code (validators, generators) sees self-contained
schemas. Local refs (same file, or a file under the spec root) are followed; remote
refs are refused unless explicitly allowed; cycles are reported with the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from harness.spec.diagnostics import Diagnostic, SpecError
from harness.spec.yamlsafe import Document, escape_pointer_token, load_document, load_text

MAX_REMOTE_BYTES = 4 * 1024 * 1024
MAX_INLINED = 50_000


class _RefError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RefResolver:
    """Resolves refs for many documents, loading each referenced file once."""

    root: Path
    allow_remote: bool = False
    _docs: dict[str, Document] = field(default_factory=dict)

    def resolve(self, doc: Document) -> tuple[Any, list[Diagnostic]]:
        """Return ``doc.data`` with every ``$ref`` inlined, and the diagnostics found."""
        self._docs.setdefault(str(doc.path.resolve()), doc)
        diagnostics: list[Diagnostic] = []
        budget = [MAX_INLINED]
        data = self._walk(doc, doc.data, "", [], out=diagnostics, budget=budget)
        return data, diagnostics

    def _walk(
        self, doc: Document, node: Any, pointer: str, stack: list[str], *, out: list[Diagnostic], budget: list[int]
    ) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise SpecError(doc.diagnostic(pointer, "ref-expansion-limit", "$ref expansion exceeds the size limit"))
        if isinstance(node, list):
            return [self._walk(doc, v, f"{pointer}/{i}", stack, out=out, budget=budget) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        rest = {
            k: self._walk(doc, v, f"{pointer}/{escape_pointer_token(k)}", stack, out=out, budget=budget)
            for k, v in node.items()
            if k != "$ref"
        }
        if not isinstance(ref, str):
            return rest if ref is None else {"$ref": ref, **rest}
        ref_pointer = f"{pointer}/$ref"
        try:
            target_doc, target_pointer, target = self._lookup(doc, ref)
        except _RefError as exc:
            out.append(doc.diagnostic(ref_pointer, exc.code, exc.message))
            return rest
        key = f"{target_doc.name}#{target_pointer}"
        if key in stack:
            chain = " -> ".join([*stack[stack.index(key) :], key])
            cycle = doc.diagnostic(ref_pointer, "ref-cycle", f"$ref cycle: {chain}")
            if cycle not in out:
                out.append(cycle)
            return rest
        resolved = self._walk(target_doc, target, target_pointer, [*stack, key], out=out, budget=budget)
        if not rest:
            return resolved
        return {"allOf": [resolved], **rest}

    def _lookup(self, doc: Document, ref: str) -> tuple[Document, str, Any]:
        parts = urlsplit(ref)
        fragment = unquote(parts.fragment)
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("http", "https"):
                raise _RefError("ref-unresolved", f"$ref {ref!r} uses an unsupported scheme")
            if not self.allow_remote:
                raise _RefError(
                    "remote-ref-refused",
                    f"remote $ref {ref!r} refused; use a local file ref or pass --allow-remote-refs",
                )
            target_doc = self._remote(ref.split("#", 1)[0])
        elif parts.path:
            target_doc = self._local(doc, parts.path)
        else:
            target_doc = doc
        if fragment and not fragment.startswith("/"):
            raise _RefError("ref-unresolved", f"$ref {ref!r}: only JSON-pointer fragments (#/...) are supported")
        return target_doc, fragment, _follow(target_doc.data, fragment, ref)

    def _local(self, doc: Document, rel: str) -> Document:
        path = (doc.path.parent / unquote(rel)).resolve()
        root = self.root.resolve()
        if not path.is_relative_to(root):
            raise _RefError("ref-unresolved", f"$ref file {rel!r} is outside the spec root {root}")
        cached = self._docs.get(str(path))
        if cached is not None:
            return cached
        if not path.is_file():
            raise _RefError("ref-unresolved", f"$ref file {rel!r} does not exist")
        try:
            loaded = load_document(path)
        except SpecError as exc:
            raise _RefError("ref-unresolved", f"$ref file {rel!r} cannot be loaded: {exc}") from exc
        self._docs[str(path)] = loaded
        return loaded

    def _remote(self, url: str) -> Document:
        cached = self._docs.get(url)
        if cached is not None:
            return cached
        import httpx  # noqa: PLC0415 - only for opt-in remote $refs; it is slow to import

        try:
            with httpx.stream("GET", url, timeout=10.0, follow_redirects=False) as resp:
                resp.raise_for_status()
                body = b""
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_REMOTE_BYTES:
                        raise _RefError(
                            "ref-unresolved", f"remote $ref {url!r} is larger than {MAX_REMOTE_BYTES} bytes"
                        )
        except httpx.HTTPError as exc:
            raise _RefError("ref-unresolved", f"remote $ref {url!r} cannot be fetched: {exc}") from exc
        try:
            loaded = load_text(body.decode("utf-8", errors="replace"), Path(url))
        except SpecError as exc:
            raise _RefError("ref-unresolved", f"remote $ref {url!r} is not valid YAML/JSON: {exc}") from exc
        self._docs[url] = loaded
        return loaded


def _follow(data: Any, pointer: str, ref: str) -> Any:
    node = data
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise _RefError("ref-unresolved", f"$ref {ref!r} does not resolve: no {token!r} at that point")
    return node
