"""TechEmpower's JSON test: one small object, serialized per request."""


def get(context):
    return {"message": "Hello, World!"}
