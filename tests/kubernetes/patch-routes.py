"""Fix-ups of the AlertmanagerConfig schema where the TypeScript types lost what the CRD says. Run
by make-schemas.sh.

- Child routes are free JSON in the CRD (the operator decodes them as routes): check them as
  routes, recursively.
- `matchType` is an enum in the CRD ("=", "!=", "=~", "!~"); the types kept only "string".
"""

import json
import sys


def match_types(node) -> None:
    """Every matchType property gets the CRD's enum."""
    if isinstance(node, dict):
        props = node.get("properties", {})
        if "matchType" in props:
            props["matchType"]["enum"] = ["!=", "=", "=~", "!~"]
        for v in node.values():
            match_types(v)
    elif isinstance(node, list):
        for v in node:
            match_types(v)


path = sys.argv[1]
schema = json.load(open(path))
route = schema["definitions"]["IAlertmanagerConfig"]["properties"]["spec"]["properties"]["route"]
route["properties"]["routes"]["items"] = {"$ref": "#/definitions/Route"}
schema["definitions"]["Route"] = route
match_types(schema)
with open(path, "w") as f:
    json.dump(schema, f, indent=2, sort_keys=True)
    f.write("\n")
