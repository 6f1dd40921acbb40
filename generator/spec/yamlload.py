"""Safe YAML reading that keeps line numbers and refuses what a spec must not contain.

PyYAML's composer gives nodes with marks; we build plain Python data from them ourselves
so that duplicate keys, custom tags and YAML 1.1's boolean trap (`no`, `on`, `yes`
parsed as booleans) become clear errors or plain strings instead of silent surprises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.errors import Problems

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KIND_TAG = {yaml.ScalarNode: "tag:yaml.org,2002:str", yaml.SequenceNode: "tag:yaml.org,2002:seq",
             yaml.MappingNode: "tag:yaml.org,2002:map"}


class _Loader(_Base):
    """Composes nodes only. Plain scalars are typed by our own YAML 1.2 rules (_scalar), so
    PyYAML's Python-side implicit resolver, the slowest part of loading, is skipped."""

    def resolve(self, kind, value, implicit):
        """Every node is a plain str, seq or map; _scalar types the scalars."""
        return _KIND_TAG[kind]

    def descend_resolver(self, current_node, current_index):
        """No path resolvers: nothing to track while descending (called once per node)."""

    def ascend_resolver(self):
        """No path resolvers: nothing to track while ascending (called once per node)."""

# YAML 1.2 booleans: only true/false. `no`, `on`, `yes`, `off` stay strings.
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value",
}


@dataclass
class Document:
    """A parsed spec file: its data and the line of every YAML path in it."""

    file: str
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)
    prefix: tuple = ()  # YAML path of the file's root in messages, e.g. ("teams", "search")
    source: Path | None = None  # set once `lines` was dropped: where to read them again

    def without_lines(self, source: Path) -> "Document":
        """This document less its data and line table (read again from `source` if a problem
        needs a line): what a worker process sends back."""
        return Document(self.file, None, {}, self.prefix, source)

    def line(self, path: tuple) -> int:
        """Line of `path`, or of its nearest ancestor that has one."""
        if self.source is not None and not self.lines:
            again = load_document(self.source, self.file, Problems(), self.prefix)
            self.lines = again.lines if again is not None else {(): 0}
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 0)


# The plain scalars that start with a letter yet are not strings.
_WORDS = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"}


def _scalar(node: yaml.ScalarNode):
    if node.style:  # quoted: always a string
        return node.value
    v = node.value
    if v[:1].isalpha() and v not in _WORDS:  # names, e-mails, durations: most scalars, at once
        return v
    if _NULL.match(v):
        return None
    if _BOOL.match(v):
        return v.lower() == "true"
    if _INT.match(v):
        try:
            return int(v)
        except ValueError:  # past Python's limit on digits: kept as text, so the schema refuses it
            return v
    if _FLOAT.match(v):
        return float(v)
    if v in (".inf", "+.inf", ".Inf", "+.Inf"):
        return float("inf")
    if v in ("-.inf", "-.Inf"):
        return float("-inf")
    if v in (".nan", ".NaN"):
        return float("nan")
    return v


def dotted(path: tuple) -> str:
    """A YAML path as written in messages: a.b[0].c."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _where(doc: Document, path: tuple) -> str:
    return dotted(doc.prefix + path)


class _Builder:
    """Builds plain data from composed nodes; refuses YAML aliases.

    An alias (`*name`) is the same node object as its anchor, so a few hundred bytes of nested
    aliases expand into gigabytes when copied out (the "billion laughs"). A spec has no need for
    them: seeing a node twice is an error at the line of the key that uses it.
    """

    def __init__(self, doc: Document, problems: Problems):
        self.doc, self.problems = doc, problems
        self.seen: set[int] = set()
        self.alias_lines: set[int] = set()

    def build(self, node, path: tuple, line: int):
        """Plain data of a node at `path` (line: where a problem with it is reported)."""
        doc = self.doc
        doc.lines[path] = line
        if id(node) in self.seen:
            if line not in self.alias_lines:  # one line with many aliases is one problem
                self.alias_lines.add(line)
                self.problems.add(doc.file, line, _where(doc, path),
                                  "YAML aliases (*name) are not allowed in specs; write the value out")
            return None
        self.seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS:
            self.problems.add(doc.file, line, _where(doc, path),
                              f"YAML tag {node.tag} is not allowed; a spec holds plain maps, lists and scalars")
            return None
        cls = type(node)
        if cls is yaml.ScalarNode:
            return _scalar(node)
        if cls is yaml.SequenceNode:
            # An aliased item is reported at the list's line: the node's own mark is the anchor's.
            return [self.build(n, path + (i,), line if id(n) in self.seen else n.start_mark.line + 1)
                    for i, n in enumerate(node.value)]
        return self._mapping(node, path)

    def _mapping(self, node, path: tuple) -> dict:
        doc, lines = self.doc, self.doc.lines
        out: dict = {}
        for knode, vnode in node.value:
            kline = knode.start_mark.line + 1
            if type(knode) is not yaml.ScalarNode:
                self.problems.add(doc.file, kline, _where(doc, path), "a key must be a plain string, found a nested map or list")
                continue
            key = knode.value  # keys are names: `no`, `on`, `1.0` stay exactly as written
            kpath = path + (key,)
            if key in out:
                self.problems.add(doc.file, kline, _where(doc, kpath), f"duplicate key '{key}' (first on line {lines[kpath]})")
                continue
            # An alias value is reported at its key's line: the node's own mark is the anchor's.
            out[key] = self.build(vnode, kpath, kline if id(vnode) in self.seen else vnode.start_mark.line + 1)
            lines[kpath] = kline  # a key's line, not its value's
        return out


class _NotPlain(Exception):
    """The file holds something the full builder reports with its line (an alias, a tag, a
    duplicate or non-scalar key)."""


def _plain(node, seen: set):
    """Plain data of a node, no line table kept; _NotPlain on anything the full builder reports."""
    if id(node) in seen or node.tag not in _ALLOWED_TAGS:
        raise _NotPlain
    seen.add(id(node))
    cls = type(node)
    if cls is yaml.ScalarNode:
        return _scalar(node)
    if cls is yaml.SequenceNode:
        return [_plain(n, seen) for n in node.value]
    out = {}
    for knode, vnode in node.value:
        if type(knode) is not yaml.ScalarNode or knode.value in out:
            raise _NotPlain
        out[knode.value] = _plain(vnode, seen)
    return out


def load_document(path: Path, display: str, problems: Problems, prefix: tuple = (),
                  lines: bool = True) -> Document | None:
    """Parse one spec file; on failure record a problem and return None. Without `lines`, the
    line table is left out and read again from the file if a problem needs a line (a worker
    reading thousands of files, few of them ever cited)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(display, 0, "", f"cannot read file: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(display, line, "", f"file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8")
        return None
    doc = Document(display, None, prefix=prefix)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.composer.ComposerError as exc:
        if "single document" in str(exc.context or ""):
            mark = exc.problem_mark
            problems.add(display, (mark.line + 1) if mark else 0, "", "file holds several YAML documents (---); expected one")
            return None
        problems.add(display, exc.problem_mark.line + 1 if exc.problem_mark else 0, "", f"invalid YAML: {exc.problem}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc)
        problems.add(display, (mark.line + 1) if mark else 0, "", f"invalid YAML: {what}")
        return None
    finally:
        loader.dispose()
    if node is None:
        problems.add(display, 0, "", "file is empty; expected a map of settings")
        return None
    if not lines:
        try:
            return Document(display, _plain(node, set()), {}, prefix, path)
        except _NotPlain:
            pass
    doc.data = _Builder(doc, problems).build(node, (), node.start_mark.line + 1)
    return doc
