"""`python -m generator`: the same CLI as `aicost`."""
from generator.cli import main

main()
