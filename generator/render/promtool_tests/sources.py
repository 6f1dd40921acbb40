"""Per configured source: its series as they land in Prometheus, and the team's spend today to the cent.

Each group feeds one truth team's series of that source, named and labelled as the source's scrape
job lands them (renamed onto the contract with the tool's own labels kept, or, for OpenCost, the
tool's own names), next to what must not count: the same team's own aicost series where the
source is its truth. The real relabelling is proven on a real Prometheus (tests/test_sources.py).
"""

from __future__ import annotations

from fractions import Fraction

from generator import names as n
from generator.model import Spec, Team
from generator.render.promtool_tests.expect import series

MINUTES = 10  # the spend of minutes 1..10 is today's at minute 10 (the entry of minute 0 closes the day before)
SPEND_PER_MINUTE = Fraction(1, 4)
TOKENS_PER_MINUTE = 1_000_000


def _today(team: Team, category: str, dollars: Fraction, why: str, inputs: list[dict]) -> dict:
    """One test group: the inputs, and the team's recorded spend today in `category` at minute 10."""
    project = team.source_project
    labels = f'{n.R_TPC_TODAY}{{category="{category}",project="{project}",team="{team.name}"}}'
    return {"name": f"{team.name}: {why}", "interval": "1m", "input_series": inputs,
            "promql_expr_test": [{"expr": f'{n.R_TPC_TODAY}{{team="{team.name}",category="{category}"}}',
                                  "eval_time": f"{MINUTES}m", "exp_samples": [{"labels": labels, "value": float(dollars)}]}]}


def _steady(per_minute) -> str:
    return f"0+{float(per_minute)!r}x{MINUTES + 2}"


def _native_api(team: Team) -> dict:
    """The team's own track_ai_call dollars: not counted while another source is its API truth."""
    return series(n.SPEND, {"team": team.name, "project": team.projects[0], "category": "api",
                            "instance": "app-1", "job": n.APP_JOB}, _steady(5))


def _litellm(spec: Spec, team: Team) -> dict:
    landed = {"team": team.name, "project": team.source_project, "source": "litellm", "team_alias": team.name,
              "model": spec.models[0].name, "instance": "litellm-1:4000", "job": "aicost-source-litellm"}
    tokens = {**landed, "direction": "input"}
    return _today(team, "api", SPEND_PER_MINUTE * MINUTES,
                  "LiteLLM's dollars count; its tokens are not priced again; the team's own dollars do not count",
                  [series(n.SPEND, {**landed, "category": "api"}, _steady(SPEND_PER_MINUTE)),
                   series(n.API_TOKENS, tokens, _steady(TOKENS_PER_MINUTE)), _native_api(team)])


def _otel(spec: Spec, team: Team) -> dict:
    price = spec.models[0]
    tokens = {"team": team.name, "project": team.source_project, "source": "otel", "model": price.name,
              "direction": "input", "gen_ai_operation_name": "chat", "gen_ai_token_type": "input",
              "gen_ai_request_model": price.aliases[0] if price.aliases else price.name, "job": "aicost-source-otel"}
    dollars = Fraction(str(price.input_per_million)) * TOKENS_PER_MINUTE / 1_000_000 * MINUTES
    return _today(team, "api", dollars, "OpenTelemetry tokens at list price; the team's own dollars do not count",
                  [series(n.API_TOKENS, tokens, _steady(TOKENS_PER_MINUTE)), _native_api(team)])


def _vllm(spec: Spec, team: Team) -> dict | None:
    source = spec.source("vllm")
    if not source.transfer_prices:
        return None
    price = source.transfer_prices[0]
    tokens = {"team": team.name, "project": team.source_project, "source": "vllm", "model": price.name,
              "model_name": price.name, "direction": "output", "engine": "0", "job": "aicost-source-vllm"}
    dollars = Fraction(str(price.output_per_million)) * TOKENS_PER_MINUTE / 1_000_000 * MINUTES
    return _today(team, "inference", dollars, "vLLM tokens at the transfer price, as inference",
                  [series(n.API_TOKENS, tokens, _steady(TOKENS_PER_MINUTE))])


def _opencost(spec: Spec, team: Team) -> dict:
    category = spec.source("opencost").category
    node = {"node": "gpu-node-1", "instance": "opencost:9003", "job": "aicost-source-opencost"}
    allocation = {**node, "namespace": (team.sources.namespaces or ("ns",))[0], "pod": "trainer-0", "container": "trainer",
                  "team": team.name, "project": team.source_project, "category": category, "source": "opencost"}
    gpus, hourly = 2, Fraction(3, 2)
    return _today(team, category, gpus * hourly / 60 * MINUTES,
                  "OpenCost: 2 GPUs at $1.50 a GPU-hour, a minute per evaluation",
                  [series(n.OPENCOST_GPU_ALLOCATION, allocation, f"{gpus}x{MINUTES + 2}"),
                   series(n.OPENCOST_GPU_HOURLY_COST, {**node, "instance_type": "g5.xlarge"}, f"{float(hourly)}x{MINUTES + 2}")])


def source_tests(spec: Spec) -> list[dict]:
    """One group per configured source that is some team's truth (DCGM: no spend, its relabelling is the test)."""
    builders = {"litellm": _litellm, "otel": _otel, "vllm": _vllm, "opencost": _opencost}
    out = []
    for source in spec.sources:
        teams = spec.truth_teams(source.kind)
        group = builders[source.kind](spec, teams[0]) if source.kind in builders and teams else None
        if group:
            out.append(group)
    return out
