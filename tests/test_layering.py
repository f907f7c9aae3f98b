"""The pure core never imports I/O, the event loop, the clock or randomness (docs/architecture.md).

Checked on the source (every import statement, at any depth), so a lazy import inside a function
is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "aip"
SHELLS = {
    "node",
    "cli.py",
    "cli_agent.py",
    "cli_serve.py",
    "transport",
    "client",
    "_spec.py",
    "_files.py",
    "audit/store.py",
    "audit/log.py",
    "discovery/store.py",
    "discovery/service.py",
    "discovery/ranking.py",
    "discovery/feed.py",
    "cli_audit.py",
    "cli_registry.py",
}
FORBIDDEN = {
    "anyio",
    "websockets",
    "asyncio",
    "socket",
    "sqlite3",
    "time",
    "random",
    "secrets",
    "uuid",
    "threading",
    "subprocess",
    "os",
    "aip.node",
    "aip.cli",
    "aip.transport",
}


def _core_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not _is_shell(p.relative_to(ROOT)))


def _is_shell(relative: Path) -> bool:
    """A shell is a top-level package or file named in SHELLS, or a file named by its path."""
    return relative.parts[0] in SHELLS or relative.as_posix() in SHELLS


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_files_found() -> None:
    assert len(_core_files()) >= 6


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_is_pure(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
    text = path.read_text(encoding="utf-8")
    for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "urandom("):
        assert call not in text, f"{path.name} reads the clock or randomness: {call}"


# Layers of docs/architecture.md, bottom first: a module may import its own layer and below.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"aip._spec"}),
    frozenset({"aip.errors", "aip"}),
    frozenset({"aip._jcs", "aip.codec"}),
    frozenset({"aip.identity.keys", "aip.ratelimit"}),
    frozenset(
        {
            "aip.identity.keyfile",
            "aip.identity.aic",
            "aip.integrity",
            "aip.jsonrpc",
            "aip.models",
            "aip.identity",
        }
    ),
    frozenset(
        {
            "aip.identity.certificates",
            "aip.identity.revocation",
            "aip.identity.chain",
            "aip.identity.enrollment",
            "aip.identity.ca_profile",
            "aip.identity.ca_state",
            "aip.identity.ca",
        }
    ),
    frozenset(
        {
            "aip.sessions",
            "aip.sessions.replay",
            "aip.sessions.proofs",
            "aip.sessions.server",
            "aip.sessions.client",
            "aip.sessions.binding",
        }
    ),
    frozenset(
        {
            "aip.audit",
            "aip.audit.merkle",
            "aip.audit.note",
            "aip.audit.checkpoint",
            "aip.audit.records",
            "aip.audit.bodies",
            "aip.audit.entries",
            "aip.audit.witness",
            "aip.audit.bundle",
        }
    ),
    frozenset(
        {
            "aip.discovery",
            "aip.discovery.acs",
            "aip.discovery.acs_fields",
            "aip.discovery.filters",
            "aip.discovery.filter_ops",
            "aip.discovery.forwarding",
            "aip.discovery.budget",
            "aip.discovery.sync",
            "aip.discovery.registry",
            "aip.discovery.query",
            "aip.discovery.liveness",
            "aip.discovery.rows",
        }
    ),
    frozenset(
        {
            "aip.interaction",
            "aip.interaction.message_fields",
            "aip.interaction.messages",
            "aip.interaction.tasks",
            "aip.interaction.task",
        }
    ),
    frozenset({"aip._files"}),
    frozenset(
        {
            "aip.audit.store",
            "aip.audit.log",
            "aip.discovery.store",
            "aip.discovery.ranking",
            "aip.discovery.service",
            "aip.discovery.feed",
            "aip.node.ca_store",
        }
    ),
    frozenset(
        {
            "aip.transport",
            "aip.transport.frames",
            "aip.transport.link",
            "aip.transport.listener",
            "aip.transport.served",
            "aip.transport.rpc",
            "aip.transport.tls",
            "aip.transport.loop",
            "aip.transport.memory",
        }
    ),
    frozenset(
        {
            "aip.node",
            "aip.node.datadir",
            "aip.node.atr",
            "aip.node.server",
            "aip.cli",
            "aip.client",
            "aip.client.identity",
            "aip.client.agent",
            "aip.client.lifecycle",
            "aip.client.enrollment",
            "aip.node.operator",
            "aip.cli_agent",
            "aip.cli_serve",
            "aip.client.session",
            "aip.client.memory",
            "aip.client.reconnect",
            "aip.cli_audit",
            "aip.cli_registry",
            "aip.client.audit",
            "aip.node.discovery",
            "aip.node.federation",
            "aip.node.peer_revocation",
            "aip.node.sync",
            "aip.node.audit",
            "aip.node.audit_events",
            "aip.node.liveness",
            "aip.client.heartbeat",
            "aip.client.partner",
            "aip.client.streams",
            "aip.client.leader",
        }
    ),
)


def _layer_of(module: str) -> int:
    for rank, members in enumerate(LAYERS):
        if module in members:
            return rank
    raise AssertionError(f"{module} is in no layer of docs/architecture.md")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    module = _module_name(path)
    rank = _layer_of(module)
    for name in _imports(path):
        if name == "aip" or name.startswith("aip."):
            target = name if any(name in layer for layer in LAYERS) else name.rsplit(".", 1)[0]
            assert _layer_of(target) <= rank, f"{module} (layer {rank}) imports {name}"
