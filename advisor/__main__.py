"""Entry point for `python -m advisor`."""
import sys

from .cli import run

sys.exit(run())
