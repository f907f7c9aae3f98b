"""The local discovery node: its data directory and its WebSocket server.

``Node`` runs one node (``async with Node(data_dir, port=0) as node``); ``serve`` runs one until
cancelled; ``DataDir`` opens the data directory on its own (identity, CA, keys, database).
"""

from aip.node.datadir import DataDir, DataDirError, NodeIdentity
from aip.node.server import PROTOCOL_VERSION, Node, NodeLimits, serve

__all__ = [
    "PROTOCOL_VERSION",
    "DataDir",
    "DataDirError",
    "Node",
    "NodeIdentity",
    "NodeLimits",
    "serve",
]
