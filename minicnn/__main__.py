"""``python -m minicnn ...`` runs the command line of :mod:`minicnn.cli`."""
import sys

from minicnn.cli import main

sys.exit(main())
