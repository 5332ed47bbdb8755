"""Configuration: files read by extension, merged over layers, explained.

A configuration file is asked for by name without extension ("settings");
the finder supplies the files, one per layer, and this package reads them
(JSON, TOML, INI, XML), merges those that say ``extends``, puts environment
variables in, caches the result and says where each value came from. It
also writes JSON, INI and XML files atomically. See docs/configuration.md.
"""

from .configuration import Configuration, Origin
from .readers import Document, read_file
from .writers import write_file, write_new

__all__ = [
    "Configuration",
    "Document",
    "Origin",
    "read_file",
    "write_file",
    "write_new",
]
