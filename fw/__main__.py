"""Run fw's command line: ``python -m fw --help``."""

import sys

from .cli import main

sys.exit(main())
