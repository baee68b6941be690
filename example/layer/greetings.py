"""Shipped in the `shared` layer (serverless.yml.example: layers.shared): on Lambda it is importable from /opt/python."""


def greeting(name: str) -> str:
    return f"hello, {name}"
