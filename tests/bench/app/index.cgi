#!/usr/bin/env python3
"""Run the benchmark application as a CGI script (one request per process)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import fw
except ImportError:
    # NOTE: inside the repository fw is three folders up; a copy made
    # elsewhere (tests.bench.prepare) needs PYTHONPATH to name that folder.
    sys.path.insert(0, str(HERE.parents[2]))
    try:
        import fw
    except ImportError:
        sys.exit("fw is not importable: set PYTHONPATH to the folder holding fw/.")

from fw.gateway import run_cgi

run_cgi(fw.application(HERE))
