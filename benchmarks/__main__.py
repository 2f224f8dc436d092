"""``python -m benchmarks``: run every benchmark, print the table, write JSON."""

import sys

from benchmarks.cli import main

sys.exit(main())
