"""The curated public surface: every public module declares __all__, and every name in it
exists; the conformance suite reaches the library only through public names."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import aip
import conformance

ROOT = Path(__file__).resolve().parent.parent


def _public_modules() -> list[str]:
    names = []
    for package in (aip, conformance):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _public_modules())
def test_module_declares_an_existing_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if name.startswith("conformance.ops.") or name.endswith(".__main__"):
        return  # operation tables are found by the runner, not imported by name
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported)
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"


def test_package_root() -> None:
    assert set(aip.__all__) == {"AipError", "Code", "__version__", "spec_dir"}
    assert (aip.spec_dir() / "errors.json").is_file()


def test_conformance_uses_public_names_only() -> None:
    for path in sorted((ROOT / "conformance").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aip"):
                assert not any(p.startswith("_") for p in node.module.split(".")), path.name
                for alias in node.names:
                    assert not alias.name.startswith("_"), f"{path.name} imports {alias.name}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    assert not (parts[0] == "aip" and any(p.startswith("_") for p in parts))
