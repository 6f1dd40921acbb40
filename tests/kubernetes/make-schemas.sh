#!/bin/sh
# Regenerates the JSON Schemas the Kubernetes target is validated against: the operators' own CRD
# types as @kubernetes-models publishes them (generated from the projects' CRD files), turned into
# JSON Schema by ts-json-schema-generator, every type inlined (two of them share a name). No extra
# properties are allowed: a snake_case key where the CRD wants camelCase is an error, as the API
# server's structural schema makes it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cd "$work"
npm init -y >/dev/null
npm install --silent @kubernetes-models/prometheus-operator@6.0.0 @kubernetes-models/grafana-operator@3.0.0 \
  ts-json-schema-generator@2.10.0 typescript
gen() {  # package-relative .d.ts, TypeScript interface, output file
  npx ts-json-schema-generator --path "node_modules/$1" --type "$2" --no-type-check --expose none -o "$here/$3"
}
gen @kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule.d.ts IPrometheusRule prometheusrule.schema.json
gen @kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig.d.ts IAlertmanagerConfig alertmanagerconfig.schema.json
gen @kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/ScrapeConfig.d.ts IScrapeConfig scrapeconfig.schema.json
gen @kubernetes-models/grafana-operator/grafana.integreatly.org/v1beta1/GrafanaDashboard.d.ts IGrafanaDashboard grafanadashboard.schema.json
python3 "$here/patch-routes.py" "$here/alertmanagerconfig.schema.json"
rm -rf "$work"
