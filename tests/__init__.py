"""fw's tests: ``python -m unittest``."""

import logging

# NOTE: errors the tests provoke on purpose are logged by fw; keep them off
# the test output. Tests that check logging attach their own handler.
logging.getLogger("fw").addHandler(logging.NullHandler())
