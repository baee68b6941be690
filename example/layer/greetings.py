"""Shipped in the `shared` layer (serverless.yml.example: layers.shared): importable from /opt/python on Lambda."""


def greeting(name: str) -> str:
    return f"hello, {name}"
