"""``python -m minicnn ...`` runs the command line of :mod:`minicnn.runs.cli`."""
import sys

from minicnn.runs.cli import main

sys.exit(main())
