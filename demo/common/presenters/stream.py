"""A streaming presenter: each line goes to the browser as it is made."""

import time


def get(context):
    context.title = "Streaming"
    yield "<h1>Counting</h1>\n<ol>\n"
    for number in range(1, 6):
        time.sleep(0.1)
        yield f"<li>{number}</li>\n"
    yield "</ol>\n"
