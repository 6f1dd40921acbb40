#!/bin/sh
# Regenerates dashboard.schema.json: Grafana's own `Dashboard` TypeScript type (the classic JSON
# model, @grafana/schema raw/dashboard/x/types.gen.d.ts) turned into JSON Schema.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cd "$work"
npm init -y >/dev/null
npm install --silent @grafana/schema@13.2.3 ts-json-schema-generator@2.10.0 typescript
npx ts-json-schema-generator --path node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts \
  --type Dashboard --no-type-check --expose all -o "$here/dashboard.schema.json"
rm -rf "$work"
