"""aip: the reference implementation of the Agent Interconnection Protocol (GB/Z 185).

The package root holds only what every user needs; each area has its own module:
:mod:`aip.codec` (strict JSON, RFC 8785), :mod:`aip.integrity` (signed objects),
:mod:`aip.identity` (AIC, keys, certificates, the domain CA), :mod:`aip.jsonrpc` (frames),
:mod:`aip.node` (the local discovery node), :mod:`aip.errors` (the error registry binding).
"""

from importlib import metadata

from aip._spec import spec_dir
from aip.errors import AipError, Code

__all__ = ["AipError", "Code", "__version__", "spec_dir"]

try:
    __version__ = metadata.version("aip")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
