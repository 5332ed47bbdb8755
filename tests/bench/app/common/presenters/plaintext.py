"""TechEmpower's plaintext test: a fixed text (its type is set in routes)."""


def get(context):
    return b"Hello, World!"
