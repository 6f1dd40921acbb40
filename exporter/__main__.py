"""`python -m exporter`: the GPU cost exporter."""
from exporter.cli import exporter

exporter()
