"""Helpers for fw's tests: a temporary application folder built from a dict."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
import unittest
from collections.abc import Callable, Mapping
from pathlib import Path

from fw.finder import Finder, Layer

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write each relative path of ``files`` under ``root`` with its content."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


class AppTestCase(unittest.TestCase):
    """A test case with a fresh application folder in a temporary directory."""

    files: Mapping[str, str | bytes] = {}

    def setUp(self) -> None:
        self._temp = tempfile.TemporaryDirectory()
        self.addCleanup(self._temp.cleanup)
        self.root = Path(self._temp.name) / "app"
        (self.root / "common").mkdir(parents=True)
        write_tree(self.root, self.files)

    def finder_over(self, *layers: str) -> Finder:
        """Return a watching finder over the named folders of the app, in order."""
        return Finder([Layer(name, self.root / name) for name in layers], watch=True)

    def write(self, files: Mapping[str, str | bytes]) -> None:
        """Add files to the application folder."""
        write_tree(self.root, files)


def copy_demo(target: Path) -> Path:
    """Copy the demo application into target and install its database.

    var/, environments/ and production/ are left behind, as a fresh
    checkout has none of them.
    """
    from fw.app import Application
    from fw.db.commands import install_missing

    ignore = shutil.ignore_patterns("var", "environments", "__pycache__", "production")
    shutil.copytree(DEMO, target, ignore=ignore, dirs_exist_ok=True)
    install_missing(Application(target))
    return target


def child_environ() -> dict[str, str]:
    """Return os.environ with ROOT importable, for child processes."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [environ.get("PYTHONPATH")])]
    )
    return environ


def run_as_nobody(function: Callable[..., dict], *args: object) -> dict:
    """Run function(*args) in a forked child that is not root; return its dict.

    Root may write into read-only folders, so a test of a read-only folder
    needs a process that is not root. The child's standard error is
    returned under the key "stderr".
    """
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(function, args, writing)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def _child(function: Callable[..., dict], args: tuple, writing: int) -> None:
    try:
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)
        sys.stderr = captured = io.StringIO()
        result = function(*args)
        result["stderr"] = captured.getvalue()
        os.write(writing, json.dumps(result).encode())
    finally:
        os._exit(0)
