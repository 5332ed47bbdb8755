"""Load Python files found in the layers as modules, once per change."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

from .exceptions import FwError


class ModuleCache:
    """Import application files by path and keep them until the file changes."""

    def __init__(self, *, watch: bool) -> None:
        self.watch = watch
        self._modules: dict[Path, tuple[int, ModuleType]] = {}
        self._lock = threading.Lock()

    def load(self, path: Path) -> ModuleType:
        """Return the module of a file, importing it again only when it changed."""
        cached = self._modules.get(path)
        if cached is not None and not self.watch:
            return cached[1]
        mtime = path.stat().st_mtime_ns
        if cached is not None and cached[0] == mtime:
            return cached[1]
        with self._lock:
            module = import_file(path)
            self._modules[path] = (mtime, module)
        return module


def import_file(path: Path) -> ModuleType:
    """Import a Python file under a private name derived from its path."""
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    name = f"fw_app_{path.stem.strip('[]')}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FwError(f"The file {path} cannot be loaded as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
