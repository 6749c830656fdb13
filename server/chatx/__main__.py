"""`python -m chatx` runs the CLI."""

import sys

from chatx.cli import main

sys.exit(main())
