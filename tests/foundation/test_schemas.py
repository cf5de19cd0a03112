"""The wire contract (schemas/) stands alone: a client or another service can import it without the server."""

from __future__ import annotations

import subprocess
import sys

SERVER_PACKAGES = ("backend", "miniapp_api", "workers")

# Imports every module of schemas/ in a fresh interpreter and prints the server modules that came with it.
PROBE = f"""
import importlib, pkgutil, sys
import schemas
for module in pkgutil.iter_modules(schemas.__path__):
    importlib.import_module("schemas." + module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] in {SERVER_PACKAGES!r}))
"""


def test_the_schemas_import_nothing_from_the_server() -> None:
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"
