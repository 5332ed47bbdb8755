#!/usr/bin/env python3
"""Run the benchmark application as a CGI script (one request per process)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import fw
except ImportError:
    sys.path.insert(0, str(HERE.parents[2]))
    import fw

from fw.gateway import run_cgi

run_cgi(fw.application(HERE))
