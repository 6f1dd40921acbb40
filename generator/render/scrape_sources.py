"""Scrape jobs for the spec's `sources`: each tool's metrics renamed onto aicost's contract at scrape time.

A rename in `metric_relabel_configs` keeps every source series a series of its own, so the
ledger's per-series handling of resets, gaps and new series holds for them as for aicost's own.
Only the series of teams whose truth (`sources.api` / `sources.gpu`) is that source are renamed
and labelled `source="<tool>"`; the others keep the tool's name, visible and never counted, so
no call is counted twice. Everything here is data; `prometheus_config` adds the jobs.
"""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.model import Source, Spec, Team

# Set by the team mapping, read by the renames, dropped at the end: never stored.
TMP_TEAM = "__tmp_aicost_team"
escape, alternatives = q.regex_escape, q.alternatives


def _set(source_labels: list[str], regex: str, target: str, replacement: str) -> dict:
    return {"source_labels": source_labels, "regex": regex, "target_label": target, "replacement": replacement}


def _team_mapping(label: str, ids_of: dict[str, tuple[str, ...]]) -> list[dict]:
    """One rule per team: the source's team label's values that mean it -> the temporary team label."""
    return [_set([label], alternatives(ids), TMP_TEAM, team) for team, ids in sorted(ids_of.items()) if ids]


def _renames(renames: list[tuple[str, str, dict[str, str]]]) -> list[dict]:
    """Per (source metric, contract metric, labels): label the mapped teams' series, then rename them."""
    out = []
    for source_metric, contract, labels in renames:
        gate = [n.L_NAME, TMP_TEAM], f"{escape(source_metric)};.+"
        out += [_set(*gate, label, value) for label, value in sorted(labels.items())]
        out.append(_set(*gate, n.L_NAME, contract))
    return out


def _contract_labels(source: Source, spec: Spec, contracts: tuple[str, ...], teams: list[Team]) -> list[dict]:
    """On the renamed series: team, source, project (from a label, else the team's), model aliases."""
    renamed = alternatives(contracts)
    out = [_set([n.L_NAME, TMP_TEAM], f"({renamed});(.+)", n.L_TEAM, "$2"),
           _set([n.L_NAME, TMP_TEAM], f"({renamed});.+", n.L_SOURCE, source.kind)]
    out += [_set([n.L_NAME, TMP_TEAM], f"({renamed});{escape(t.name)}", n.L_PROJECT, t.source_project) for t in teams]
    if source.project_label:
        out.append(_set([n.L_NAME, TMP_TEAM, source.project_label], f"({renamed});.+;(.+)", n.L_PROJECT, "$2"))
    for price in spec.models:
        if price.aliases and n.API_TOKENS in contracts:
            out.append(_set([n.L_NAME, n.L_MODEL], f"{escape(n.API_TOKENS)};({alternatives(price.aliases)})",
                            n.L_MODEL, price.name))
    return out + [{"action": "labeldrop", "regex": escape(TMP_TEAM)}]


def _namespaces(teams: list[Team]) -> dict[str, tuple[str, ...]]:
    return {t.name: t.sources.namespaces for t in teams}


def _litellm(source: Source, spec: Spec) -> list[dict]:
    teams = spec.truth_teams(source.kind)
    return [*_team_mapping(source.team_label, {t.name: t.source_ids("litellm") for t in teams}),
            *_renames([(n.LITELLM_SPEND, n.SPEND, {n.L_CATEGORY: "api"}),
                       (n.LITELLM_INPUT_TOKENS, n.API_TOKENS, {n.L_DIRECTION: "input"}),
                       (n.LITELLM_OUTPUT_TOKENS, n.API_TOKENS, {n.L_DIRECTION: "output"})]),
            *_contract_labels(source, spec, (n.SPEND, n.API_TOKENS), teams)]


def _otel(source: Source, spec: Spec) -> list[dict]:
    teams = spec.truth_teams(source.kind)
    metric, token_type, model = (x[source.names] for x in (n.OTEL_TOKEN_USAGE_SUM, n.OTEL_TOKEN_TYPE, n.OTEL_REQUEST_MODEL))
    # Only input and output tokens are counted: a token type this version does not know is not guessed at.
    counted = f"{escape(metric)};.+;(input|output)"
    return [*_team_mapping(source.team_label, {t.name: t.source_ids("otel") for t in teams}),
            _set([n.L_NAME, TMP_TEAM, token_type], counted, n.L_DIRECTION, "$1"),
            _set([n.L_NAME, TMP_TEAM, token_type, model], counted + ";(.+)", n.L_MODEL, "$2"),
            _set([n.L_NAME, TMP_TEAM, token_type], counted, n.L_NAME, n.API_TOKENS),
            *_contract_labels(source, spec, (n.API_TOKENS,), teams)]


def _vllm(source: Source, spec: Spec) -> list[dict]:
    teams = spec.truth_teams(source.kind)
    served = {team for _, team in source.target_teams}
    by_target = {t.name: (t.name,) for t in teams if t.name in served}
    return [*_team_mapping(n.L_TEAM, by_target), *_team_mapping(n.L_NAMESPACE, _namespaces(teams)),
            _set([n.L_NAME, TMP_TEAM, n.VLLM_MODEL], f"({escape(n.VLLM_PROMPT_TOKENS)}|{escape(n.VLLM_GENERATION_TOKENS)})"
                                                    ";.+;(.+)", n.L_MODEL, "$2"),
            *_renames([(n.VLLM_PROMPT_TOKENS, n.API_TOKENS, {n.L_DIRECTION: "input"}),
                       (n.VLLM_GENERATION_TOKENS, n.API_TOKENS, {n.L_DIRECTION: "output"})]),
            *_contract_labels(source, spec, (n.API_TOKENS,), teams)]


def _dcgm(source: Source, spec: Spec) -> list[dict]:
    teams = list(spec.teams)
    out = [*_team_mapping(source.team_label, {t.name: (t.name,) for t in teams}),
           *_team_mapping(n.L_NAMESPACE, _namespaces(teams))]
    # The GPU type from the NVML name, as the exporter does it (nvml_names are substrings).
    for gpu in spec.gpus:
        out.append(_set([n.L_NAME, n.DCGM_MODEL_NAME], f"{escape(n.DCGM_GPU_UTIL)};.*({alternatives(gpu.nvml_names)}).*",
                        n.L_GPU_TYPE, gpu.name))
    for host in n.DCGM_HOST_LABELS:  # Hostname until dcgm-exporter #655, hostname after
        out.append(_set([n.L_NAME, host], f"{escape(n.DCGM_GPU_UTIL)};(.+)", n.L_INSTANCE, "$1"))
    out += [_set([n.L_NAME, TMP_TEAM], f"{escape(n.DCGM_GPU_UTIL)};{escape(t.name)}", label, value)
            for t in teams for label, value in ((n.L_PROJECT, t.source_project), (n.L_ENVIRONMENT, t.environment))]
    # Every GPU is renamed, mapped to a team or not: an idle GPU of no known team still wastes money
    # (AIGPUIdle judges it against the org's threshold).
    out += [_set([n.L_NAME], escape(n.DCGM_GPU_UTIL), n.L_NAME, n.GPU_UTILIZATION),
            _set([n.L_NAME], escape(n.GPU_UTILIZATION), n.L_SOURCE, source.kind)]
    return out + _contract_labels(source, spec, (n.GPU_UTILIZATION,), teams)


def _opencost(source: Source, spec: Spec) -> list[dict]:
    teams = spec.truth_teams(source.kind)
    # No rename: GPUs allocated times a node's hourly price is a computation, done by the ledger's rule.
    gate = [n.L_NAME, TMP_TEAM], f"{escape(n.OPENCOST_GPU_ALLOCATION)};.+"
    return [*_team_mapping(n.L_NAMESPACE, _namespaces(teams)), _set(*gate, n.L_CATEGORY, source.category),
            *_contract_labels(source, spec, (n.OPENCOST_GPU_ALLOCATION,), teams)]


RELABELS = {"litellm": _litellm, "otel": _otel, "vllm": _vllm, "dcgm": _dcgm, "opencost": _opencost}


def source_relabels(source: Source, spec: Spec) -> list[dict]:
    """The metric_relabel_configs of one source's scrape job."""
    return RELABELS[source.kind](source, spec)


def target_labels(source: Source) -> dict[str, dict[str, str]]:
    """Static labels per target address: a vLLM server's team, which its metrics do not carry."""
    return {address: {n.L_TEAM: team} for address, team in source.target_teams}
