"""Value types the tools check their own way: durations, URLs, host:port, shorthand-or-map values.

Each refuses what Prometheus or Alertmanager would refuse, so a spec that validates renders
files that `promtool check config` and `amtool check-config` accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from generator.durations import DURATION_RE, seconds
from generator.spec.types import Str, Type, show

URL_RE = re.compile(r"^https?://[^\s\"'{}\\]+$")
# host:port as Prometheus and Alertmanager take it (a name, an IPv4 address or [an IPv6 one]).
HOST_PORT_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$")


@dataclass
class Duration(Str):
    """A Prometheus duration (units in decreasing order, as Prometheus parses them), optionally > 0."""

    positive: bool = False

    def __post_init__(self):
        self.pattern = DURATION_RE
        self.rule = self.rule or ("a Prometheus duration such as 30s, 5m, 1h or 1h30m (units from the largest, "
                                  "each once)" + (", not zero" if self.positive else ""))

    def check(self, value, path, ctx):
        value = super().check(value, path, ctx)
        if value is not None and self.positive and seconds(value) == 0:
            ctx.error(path, f"{show(value)} is not valid: {self.rule}")
            return None
        return value


@dataclass
class Url(Str):
    """An http(s) URL; credentials in it are refused (they would be committed to rendered/)."""

    def __post_init__(self):
        self.pattern = URL_RE
        self.rule = self.rule or "an http:// or https:// URL without spaces or quotes"

    def check(self, value, path, ctx):
        value = super().check(value, path, ctx)
        if value is None:
            return None
        parts = urlsplit(value)
        if "@" in parts.netloc:
            ctx.error(path, "a URL must not carry credentials (user:password@): they would be written to rendered/ "
                            "and committed; put the token in a file and name it with credentials_file")
            return None
        if not parts.hostname:
            ctx.error(path, f"{show(value)} is not valid: {self.rule}")
            return None
        return value


@dataclass
class HostPort(Str):
    """host:port, with a port from 1 to 65535."""

    def __post_init__(self):
        self.pattern = HOST_PORT_RE
        self.rule = self.rule or "host:port, such as smtp.example.com:587 (the port is required)"

    def check(self, value, path, ctx):
        value = super().check(value, path, ctx)
        if value is not None and not 1 <= int(HOST_PORT_RE.match(value).group(1)) <= 65535:
            ctx.error(path, f"{show(value)} is not valid: the port must be from 1 to 65535")
            return None
        return value


@dataclass
class OneOf(Type):
    """A scalar shorthand or its full map (for instance a scrape target: "host:port" or {target: ...})."""

    short: Type
    full: Type
    what: str = ""
    description: str = ""

    def check(self, value, path, ctx):
        if isinstance(value, dict):
            return self.full.check(value, path, ctx)
        if isinstance(value, str):
            return self.short.check(value, path, ctx)
        ctx.error(path, f"{show(value)} is not valid; expected {self.what}")
        return None

    def json_schema(self):
        return self._doc({"oneOf": [self.short.json_schema(), self.full.json_schema()]})
