"""Reading and checking the YAML under specs/."""
