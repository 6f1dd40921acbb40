"""A small schema language for the spec: checks values, collects problems, emits JSON Schema.

One description of each spec file serves both validation (with messages that say what
was found and what is allowed) and `aicost schema` (for editors and CI).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

from generator.errors import Problems
from generator.spec.yamlload import Document, dotted

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
NAME_RULE = "use letters, digits, '.', '_' and '-' (at most 63), starting with a letter or digit"
# A label value must not break PromQL, YAML or Grafana: no quotes, braces, backslashes, newlines.
LABEL_VALUE_RE = re.compile(r"^[^\"'{}\\\n\r\t`$]{1,128}$")
LABEL_VALUE_RULE = "at most 128 characters, without quotes, braces, backslashes, '$', '`' or line breaks"
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
PATH_RE = re.compile(r"^/[^\s\"'{}\\]*$")


def _finite(x) -> bool:
    """A number usable as a float: not inf or nan, and not an integer with hundreds of digits."""
    try:
        return math.isfinite(x) and abs(float(x)) < 1e300
    except OverflowError:
        return False


def show(value) -> str:
    """How a found value is quoted in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
    if isinstance(value, int) and value.bit_length() > 128:
        return "a number with hundreds of digits"
    return str(value)


@dataclass
class Ctx:
    """Where a value sits: its document, the path prefix messages show, the collector."""

    doc: Document
    problems: Problems
    prefix: tuple = ()

    def error(self, path: tuple, message: str) -> None:
        """Record a problem at `path` (relative to the document)."""
        self.problems.add(self.doc.file, self.doc.line(path), dotted(self.prefix + path), message)


class Type:
    """Base of every schema node."""

    description = ""

    def check(self, value, path: tuple, ctx: Ctx):
        """Return the value (normalised) or None after recording a problem."""
        raise NotImplementedError

    def json_schema(self) -> dict:
        """The JSON Schema of this node."""
        raise NotImplementedError

    def _doc(self, schema: dict) -> dict:
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass
class Str(Type):
    """A string, optionally matching a pattern or one of some choices."""

    pattern: re.Pattern | None = None
    rule: str = ""
    choices: tuple = ()
    description: str = ""

    def check(self, value, path, ctx):
        if self.choices:
            if value not in self.choices:
                ctx.error(path, f"{show(value)} is not allowed; expected one of: {', '.join(self.choices)}")
                return None
            return value
        if not isinstance(value, str):
            ctx.error(path, f"{show(value)} is not a string" + (f" ({self.rule})" if self.rule else ""))
            return None
        if self.pattern and not self.pattern.match(value):
            ctx.error(path, f"{show(value)} is not valid: {self.rule}")
            return None
        return value

    def json_schema(self):
        if self.choices:
            return self._doc({"enum": list(self.choices)})
        s = {"type": "string"}
        if self.pattern:
            s["pattern"] = self.pattern.pattern
        return self._doc(s)


@dataclass
class Num(Type):
    """A number with bounds; `what` names it in messages ("a positive number")."""

    minimum: float | None = None
    exclusive: bool = False
    maximum: float | None = None
    integer: bool = False
    description: str = ""

    def what(self) -> str:
        """The allowed range in words."""
        noun = "an integer" if self.integer else "a number"
        if self.minimum == 0 and self.exclusive and self.maximum is None:
            return "a positive " + noun.split()[-1]
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{noun} {'above' if self.exclusive else 'of at least'} {self.minimum:g}"
        return noun

    def check(self, value, path, ctx):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value)
        if ok and self.integer and not float(value).is_integer():
            ok = False
        if ok and self.minimum is not None:
            ok = value > self.minimum if self.exclusive else value >= self.minimum
        if ok and self.maximum is not None:
            ok = value <= self.maximum
        if not ok:
            ctx.error(path, f"{show(value)} is not {self.what()}")
            return None
        return int(value) if self.integer else float(value)

    def json_schema(self):
        s = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            s["exclusiveMinimum" if self.exclusive else "minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return self._doc(s)


@dataclass
class Bool(Type):
    """true or false (YAML 1.2: `yes`/`no`/`on`/`off` are not booleans)."""

    description: str = ""

    def check(self, value, path, ctx):
        if not isinstance(value, bool):
            ctx.error(path, f"{show(value)} is not a boolean; expected true or false")
            return None
        return value

    def json_schema(self):
        return self._doc({"type": "boolean"})


@dataclass
class ListOf(Type):
    """A list of items of one type."""

    item: Type
    min_items: int = 0
    unique: bool = False
    description: str = ""
    unique_key: object = None  # item -> what must be unique (default: the item itself)

    def check(self, value, path, ctx):
        if not isinstance(value, list):
            ctx.error(path, f"{show(value)} is not a list")
            return None
        if len(value) < self.min_items:
            ctx.error(path, f"the list has {len(value)} items; at least {self.min_items} needed")
            return None
        out, seen = [], set()
        for i, v in enumerate(value):
            c = self.item.check(v, path + (i,), ctx)
            if c is None:
                continue
            if self.unique:
                key = self.unique_key(c) if self.unique_key else c
                if key in seen:
                    ctx.error(path + (i,), f"{show(key)} is listed twice")
                    continue
                seen.add(key)
            out.append(c)
        return tuple(out)

    def json_schema(self):
        s = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            s["minItems"] = self.min_items
        if self.unique:
            s["uniqueItems"] = True
        return self._doc(s)


@dataclass
class MapOf(Type):
    """A map from names (checked by `key`) to values of one type."""

    value: Type
    key: Str = field(default_factory=lambda: Str(NAME_RE, NAME_RULE))
    description: str = ""

    def check(self, value, path, ctx):
        if value is None:
            return {}
        if not isinstance(value, dict):
            ctx.error(path, f"{show(value)} is not a map")
            return None
        out = {}
        for k, v in value.items():
            if self.key.check(k, path + (k,), ctx) is None:
                continue
            c = self.value.check(v, path + (k,), ctx)
            if c is not None:
                out[k] = c
        return out

    def json_schema(self):
        return self._doc({"type": "object", "propertyNames": self.key.json_schema(),
                          "additionalProperties": self.value.json_schema()})


@dataclass
class Field:
    """One key of an object: its type, whether it is required, its default."""

    type: Type
    required: bool = False
    default: object = None
    description: str = ""


@dataclass
class Obj(Type):
    """A map with a fixed set of keys; unknown keys are errors."""

    fields: dict
    description: str = ""

    def check(self, value, path, ctx):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            ctx.error(path, f"{show(value)} is not a map; expected keys: {', '.join(self.fields)}")
            return None
        out = {}
        for k in value:
            if k not in self.fields:
                near = difflib.get_close_matches(k, list(self.fields), n=1, cutoff=0.75) or [
                    f for f in self.fields if isinstance(k, str) and f.startswith(k)][:1]
                hint = f"did you mean '{near[0]}'? " if near else ""
                ctx.error(path + (k,), f"unknown key '{k}'; {hint}allowed: {', '.join(sorted(self.fields))}")
        for name, f in self.fields.items():
            if name not in value or value[name] is None:
                if f.required:
                    ctx.error(path, f"missing required key '{name}'" + (f" ({f.description})" if f.description else ""))
                out[name] = f.default
                continue
            out[name] = f.type.check(value[name], path + (name,), ctx)
        return out

    def json_schema(self):
        props = {}
        for name, f in self.fields.items():
            s = dict(f.type.json_schema())
            if f.description:
                s["description"] = f.description
            if f.default is not None and not isinstance(f.default, (dict, tuple)):
                s["default"] = f.default
            props[name] = s
        s = {"type": "object", "properties": props, "additionalProperties": False}
        req = [n for n, f in self.fields.items() if f.required]
        if req:
            s["required"] = req
        return self._doc(s)

