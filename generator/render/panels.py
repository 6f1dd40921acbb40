"""The house style over grafanalib: modern, schema-valid Grafana JSON (schemaVersion 39+).

grafanalib 0.7.1 builds legacy JSON: a schemaVersion 12 dashboard with `rows`, `hideControls`
and `style`; Stat thresholds as `"steps": ""`; Gauge threshold values as the string "null"; the
legacy heatmap format; panel keys Grafana's schema does not know (`error`, `span`,
`minSpan`). These subclasses keep grafanalib's objects and constructors and override
`to_json_data`, so every panel leaves here as fieldConfig-based JSON that validates against
`@grafana/schema`. Nothing outside generator/render/ sees a grafanalib type.
"""

from __future__ import annotations

from dataclasses import dataclass

from grafanalib import core as G

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Step:
    """A threshold step: a colour from a value on (None = from minus infinity)."""

    color: str
    value: float | None


def target(expr: str, legend: str = "", ref: str = "A", instant: bool = False, table: bool = False) -> G.Target:
    """A Prometheus query of a panel."""
    return G.Target(expr=expr, legendFormat=legend, refId=ref, instant=instant, format="table" if table else "time_series",
                    datasource=DATASOURCE)


def _target_json(t: G.Target) -> dict:
    out = {"datasource": DATASOURCE, "expr": t.expr, "refId": t.refId, "format": t.format, "range": not t.instant,
           "instant": bool(t.instant)}
    if t.legendFormat:
        out["legendFormat"] = t.legendFormat
    return out


def _thresholds(steps: tuple[Step, ...]) -> dict:
    # Grafana's first step has value null (minus infinity); never the string "null".
    return {"mode": "absolute", "steps": [{"color": s.color, "value": s.value} for s in steps]}


class _Modern:
    """Mixin: the panel JSON every house-style panel shares."""

    type_name = ""
    steps: tuple[Step, ...] = (Step("green", None),)
    unit_name = "none"
    links_json: tuple = ()
    transformations_json: tuple = ()
    overrides_json: tuple = ()

    def options_json(self) -> dict:
        """Panel-type options."""
        return {}

    def defaults_json(self) -> dict:
        """fieldConfig.defaults."""
        return {"unit": self.unit_name, "thresholds": _thresholds(self.steps), "color": {"mode": "thresholds"},
                "links": list(self.links_json)}

    def to_json_data(self) -> dict:
        """Schema-valid panel JSON."""
        return {
            "id": self.id, "type": self.type_name, "title": self.title, "description": self.description,
            "datasource": DATASOURCE, "gridPos": self.gridPos.to_json_data(),
            "targets": [_target_json(t) for t in self.targets],
            "fieldConfig": {"defaults": self.defaults_json(), "overrides": list(self.overrides_json)},
            "options": self.options_json(), "transformations": list(self.transformations_json),
        }


class StatPanel(_Modern, G.Stat):
    """Stat: one big number, coloured by the spec's thresholds."""

    type_name = "stat"

    def options_json(self):
        return {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "background",
                "graphMode": "area", "justifyMode": "auto", "orientation": "auto", "textMode": "auto"}


class GaugeChart(_Modern, G.GaugePanel):
    """Gauge: a ratio against coloured bands."""

    type_name = "gauge"

    def options_json(self):
        return {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "showThresholdLabels": False, "showThresholdMarkers": True, "orientation": "auto"}

    def defaults_json(self):
        return {**super().defaults_json(), "min": 0, "max": 1.2}


class TimeSeriesChart(_Modern, G.TimeSeries):
    """Time series with a legend table."""

    type_name = "timeseries"
    stacked = False

    def options_json(self):
        return {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"], "showLegend": True},
                "tooltip": {"mode": "multi", "sort": "desc"}}

    def defaults_json(self):
        custom = {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 10, "showPoints": "never", "spanNulls": False,
                  "stacking": {"mode": "normal" if self.stacked else "none", "group": "A"}}
        return {**super().defaults_json(), "color": {"mode": "palette-classic"}, "custom": custom}


class PieChartPanel(_Modern, G.PieChartv2):
    """The modern `piechart` panel (not grafanalib's legacy grafana-piechart-panel)."""

    type_name = "piechart"

    def options_json(self):
        return {"pieType": "donut", "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "legend": {"displayMode": "table", "placement": "right", "values": ["value", "percent"], "showLegend": True},
                "tooltip": {"mode": "single", "sort": "none"}}

    def defaults_json(self):
        return {**super().defaults_json(), "color": {"mode": "palette-classic"}}


class HeatmapPanel(_Modern, G.Heatmap):
    """The modern heatmap (Grafana 9+ options), not the legacy format grafanalib writes."""

    type_name = "heatmap"

    def options_json(self):
        # RdYlGn runs red -> green: low utilization (idle, wasted money) is red.
        return {"calculate": False, "cellGap": 1, "yAxis": {"axisPlacement": "left", "unit": "percent"},
                "color": {"mode": "scheme", "scheme": "RdYlGn", "steps": 64, "fill": "dark", "reverse": False,
                          "exponent": 0.5, "min": 0, "max": 100},
                "legend": {"show": True}, "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": True},
                "rowsFrame": {"layout": "auto"}, "filterValues": {"le": 1e-9}}


class TablePanel(_Modern, G.Table):
    """A table, optionally joining several instant queries on shared labels."""

    type_name = "table"

    def options_json(self):
        return {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}


def make(cls, title: str, description: str, targets: list[G.Target], pos: tuple[int, int, int, int], unit: str = "none",
         steps: tuple[Step, ...] = (Step("green", None),), links: tuple = (), transformations: tuple = (),
         overrides: tuple = (), stacked: bool = False):
    """One house-style panel at grid position (x, y, w, h)."""
    x, y, w, h = pos
    panel = cls(title=title, description=description, targets=targets, gridPos=G.GridPos(h=h, w=w, x=x, y=y))
    panel.unit_name, panel.steps = unit, steps
    panel.links_json, panel.transformations_json, panel.overrides_json = links, transformations, overrides
    panel.stacked = stacked
    return panel


class DashboardJSON(G.Dashboard):
    """The dashboard envelope in today's JSON model."""

    description_text = ""
    variables: tuple = ()
    dashboard_links: tuple = ()

    def to_json_data(self) -> dict:
        """Schema-valid dashboard JSON; panels numbered top to bottom."""
        panels = []
        for i, p in enumerate(self.panels, start=1):
            p.id = i
            panels.append(p.to_json_data())
        return {
            "title": self.title, "uid": self.uid, "description": self.description_text, "tags": list(self.tags),
            "timezone": "utc", "editable": True, "graphTooltip": 1, "schemaVersion": SCHEMA_VERSION, "version": 1,
            "refresh": "1m", "time": {"from": self.time.start, "to": self.time.end},
            "templating": {"list": list(self.variables)}, "annotations": {"list": []},
            "links": list(self.dashboard_links), "panels": panels, "fiscalYearStartMonth": 0, "liveNow": False,
            "weekStart": "",
        }


def dashboard(title: str, uid: str, description: str, panels: list, variables: tuple, links: tuple,
              time_from: str = "now/d") -> dict:
    """A whole dashboard as plain data."""
    d = DashboardJSON(title=title, uid=uid, panels=panels, tags=["aicost", "finops"], time=G.Time(time_from, "now"))
    d.description_text, d.variables, d.dashboard_links = description, variables, links
    return d.to_json_data()


class RowPanel(G.RowPanel):
    """A row header across the dashboard, its panels laid out below it (never collapsed)."""

    def to_json_data(self) -> dict:
        """Schema-valid row JSON."""
        return {"id": self.id, "type": "row", "title": self.title, "collapsed": False, "panels": [],
                "gridPos": self.gridPos.to_json_data()}


def row(title: str, y: int) -> RowPanel:
    """A row header at grid line `y`."""
    return RowPanel(title=title, gridPos=G.GridPos(h=1, w=24, x=0, y=y))
