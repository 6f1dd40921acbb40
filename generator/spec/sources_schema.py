"""The shape of scrape targets and of the `sources` sections (org.yaml, teams/<team>.yaml)."""

from __future__ import annotations

import re

from generator import names
from generator.spec.types import (
    LABEL_NAME_RE, LABEL_VALUE_RE, LABEL_VALUE_RULE, NAME_RE, NAME_RULE, PATH_RE, Bool, Field, ListOf, MapOf, Num, Obj, Str,
)
from generator.spec.values import HostPort, OneOf

NAME = Str(NAME_RE, NAME_RULE)
HOST_PORT = HostPort()
SECRET_FILE = Str(PATH_RE, "an absolute path to a file holding the secret (secrets never go in the spec)")
FILE = Str(PATH_RE, "an absolute path on the Prometheus host")
NON_NEGATIVE = Num(0)


def target_address(target) -> str:
    """host:port of a scrape target in either form."""
    return target["target"] if isinstance(target, dict) else target


_TARGET_FIELDS = {
    "target": Field(HOST_PORT, required=True),
    "scheme": Field(Str(choices=("http", "https")), default="http"),
    "tls": Field(Obj({
        "ca_file": Field(FILE, description="CA certificate that signed the target's certificate"),
        "cert_file": Field(FILE, description="client certificate, with key_file"),
        "key_file": Field(SECRET_FILE, description="client key, with cert_file"),
        "server_name": Field(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), description="name to verify the certificate against"),
        "insecure_skip_verify": Field(Bool(), default=False),
    }), description="TLS settings (scheme: https)"),
    "basic_auth": Field(Obj({
        "username": Field(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), required=True),
        "password_file": Field(SECRET_FILE, required=True),
    }), description="HTTP basic auth; the password only as a file"),
}


def target_type(**extra: Field) -> OneOf:
    """A scrape target: "host:port", or a map when the target needs HTTPS, basic auth or `extra`."""
    keys = ", ".join(("target", "scheme", "tls", "basic_auth", *extra))
    return OneOf(HOST_PORT, Obj({**_TARGET_FIELDS, **extra}), what=f"host:port, or a map with {keys}")


TARGET = target_type()

PRICE = {
    "input_per_million": Field(NON_NEGATIVE, required=True, description="dollars per 1M input tokens"),
    "output_per_million": Field(NON_NEGATIVE, required=True, description="dollars per 1M output tokens"),
}
LABEL_NAME = Str(LABEL_NAME_RE, "a label name matching [a-zA-Z_][a-zA-Z0-9_]*")
UTF8_LABEL_NAME = Str(re.compile(r"^[^\"{}\\\n\r\t`$]{1,128}$"), "a label name (Prometheus 3 allows dots: service.namespace)")


def _source(what: str, description: str, targets: OneOf = TARGET, **fields: Field) -> Field:
    """One source: its scrape targets, an optional bearer token, and its own settings."""
    return Field(Obj({
        "targets": Field(ListOf(targets, min_items=1, unique=True, unique_key=target_address), required=True,
                         description=what),
        "bearer_token_file": Field(SECRET_FILE, description="a file holding the bearer token Prometheus sends "
                                                            "(Authorization: Bearer)"),
        **fields,
    }), description=description)


_PROJECT_LABEL_DESC = "the source's label holding the project; default: each team's sources.project"

SOURCES = Obj({
    "litellm": _source(
        "LiteLLM proxies (their /metrics)", "LiteLLM proxy: spend and tokens per LiteLLM team",
        team_label=Field(Str(choices=("team_alias", "team")), default="team_alias",
                         description="team_alias: LiteLLM's team name; team: its team id (a UUID), mapped by each "
                                     "team's sources.litellm"),
        project_label=Field(LABEL_NAME, description=_PROJECT_LABEL_DESC)),
    "otel": _source(
        "OpenTelemetry Collectors' prometheus exporters",
        "OpenTelemetry GenAI token usage (no cost: tokens priced by prices.yaml)",
        names=Field(Str(choices=("underscore", "utf8")), default="underscore",
                    description="underscore: gen_ai_client_token_usage_sum (the default translation); utf8: "
                                "gen_ai.client.token.usage_sum, Prometheus 3 only"),
        team_label=Field(UTF8_LABEL_NAME, required=True,
                         description="the label carrying the team: a metric attribute such as team, or a promoted "
                                     "resource attribute such as service_namespace"),
        project_label=Field(UTF8_LABEL_NAME, description=_PROJECT_LABEL_DESC)),
    "vllm": _source(
        "vLLM servers; give each its team, or map a namespace label by teams' sources.namespaces",
        "vLLM servers: self-hosted tokens, no team and no price of their own",
        targets=target_type(team=Field(NAME, description="the team this server serves")),
        transfer_prices=Field(MapOf(Obj(PRICE), key=Str(LABEL_VALUE_RE, LABEL_VALUE_RULE)), default={},
                              description="internal dollars per 1M tokens, per served model_name: the only way "
                                          "self-hosted tokens get a price")),
    "dcgm": _source(
        "NVIDIA dcgm-exporters", "NVIDIA dcgm-exporter: GPU utilization (no dollars)",
        team_label=Field(LABEL_NAME, default="team",
                         description="a pod label copied by --kubernetes-enable-pod-labels; without it, the "
                                     "namespace label is mapped by teams' sources.namespaces")),
    "opencost": _source(
        "OpenCost exporters", "OpenCost: GPU dollars per hour by namespace, mapped by teams' sources.namespaces",
        category=Field(Str(choices=names.GPU_CATEGORIES), default="compute",
                       description="the category OpenCost's GPU dollars are booked to")),
}, description="tools whose metrics aicost maps onto its contract (README: Sources)")


TEAM_SOURCES = Obj({
    "api": Field(Str(choices=names.API_SOURCES), default=names.NATIVE_SOURCE,
                 description="the truth for this team's API spend and tokens: aicost (track_ai_call), litellm or otel; "
                             "the others are not counted"),
    "gpu": Field(ListOf(Str(choices=names.GPU_SOURCES), min_items=1, unique=True), default=(names.NATIVE_SOURCE,),
                 description="the truth for this team's GPU spend: aicost (the exporter's GPU hours), opencost, or "
                             "vllm (tokens at the transfer price); vllm with aicost counts both, on purpose"),
    "litellm": Field(ListOf(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), min_items=1, unique=True),
                     description="this team's LiteLLM team ids or aliases (default: the team's name)"),
    "otel": Field(ListOf(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), min_items=1, unique=True),
                  description="values of the OTel source's team label that mean this team (default: its name)"),
    "namespaces": Field(ListOf(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), min_items=1, unique=True), default=(),
                        description="Kubernetes namespaces of this team's workloads (vLLM, DCGM, OpenCost)"),
    "project": Field(NAME, description="the project of source spend that names none; default: the first project"),
}, description="which source is the truth for this team's spend, and its names in those tools")


def actions_obj(team: bool) -> Obj:
    """`actions`: the idle-GPU shutdown command (a team's overrides the org's), and at org level where
    `aicost act` answers (for the dashboard's buttons)."""
    fields = {"idle_gpu": Field(Str(re.compile(r"^[^\n\r`$;|&<>]{1,500}$"),
                                    "a command without a shell: no ` $ ; | & < > or line breaks"),
                                description="run by `aicost act` for AIGPUIdle on a non-production host, with the "
                                            "alert's labels filled in: {instance}, {gpu}, {type}, {team}, {project}, "
                                            "{environment}, {namespace}, {pod}, {container}")}
    if not team:
        fields["url"] = Field(Str(re.compile(r"^https?://[^\s\"'{}\\]+$"), "an http(s) URL"),
                              description="where `aicost act` answers: the idle-GPU table's preview button")
    return Obj(fields, description="what `aicost act` does for an alert (dry run unless started with --execute)")
