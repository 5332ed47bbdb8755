#!/usr/bin/env python3
"""Run the demo as a CGI script, for shared hosting.

Copy the application folder (and fw, unless it is installed) to the host,
make this file executable, and point the web server's CGI handling at it.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import fw
except ImportError:
    sys.path.insert(0, str(HERE.parent))
    import fw

from fw.gateway import run_cgi

run_cgi(fw.application(HERE))
