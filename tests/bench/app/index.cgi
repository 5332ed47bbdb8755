#!/usr/bin/env python3
"""Run the benchmark application as a CGI script (one request per process)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import fw
except ImportError:
    # NOTE: in the repository fw/ is three folders up; a copy made elsewhere
    # finds it in a folder above it, or through PYTHONPATH.
    holders = [folder for folder in HERE.parents if (folder / "fw").is_dir()]
    sys.path[:0] = [str(folder) for folder in holders[:1]]
    try:
        import fw
    except ImportError:
        sys.exit("fw is not importable: set PYTHONPATH to the folder holding fw/.")

from fw.gateway import run_cgi

run_cgi(fw.application(HERE))
