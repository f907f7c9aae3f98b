"""Vector operations for the Agent Identity Code (``spec/04-identity-aic.md``).

Each operation adapts one vector ``input`` object to the public API of
:mod:`aip.identity.aic` and returns the outputs the vectors compare.  Values are passed through
unchanged (a JSON number where an AIC is expected reaches the library, which must reject it);
salts arrive as lowercase hex in ``salt_hex``.  Library errors propagate as
:class:`aip.errors.AicError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aip.identity import aic as lib

__all__ = ["OPERATIONS"]


def _salt(data: dict[str, Any]) -> bytes:
    return bytes.fromhex(data["salt_hex"])


def _describe(value: lib.Aic) -> dict[str, Any]:
    return {
        "normalized": str(value),
        "is_ontology": value.is_ontology,
        "is_entity": value.is_entity,
        "ontology_prefix": value.ontology_prefix,
        "body": value.body,
        "version": value.version,
        "registry": value.registry,
        "provider": value.provider,
        "ontology": value.ontology,
        "entity": value.entity,
        "checksum": value.checksum,
    }


def parse(data: dict[str, Any]) -> dict[str, Any]:
    """Parse ``aic`` (format and ranges only)."""
    return _describe(lib.parse_aic(data["aic"]))


def verify_checksum(data: dict[str, Any]) -> dict[str, Any]:
    """Verify ``aic`` under the salt ``salt_hex``."""
    return _describe(lib.verify_checksum(data["aic"], _salt(data)))


def compute_checksum(data: dict[str, Any]) -> dict[str, Any]:
    """The checksum of ``body`` (levels 1-9) under ``salt_hex``."""
    return {"checksum": lib.compute_checksum(data["body"], _salt(data))}


def derive_entity(data: dict[str, Any]) -> dict[str, Any]:
    """Derive the entity with ``entity_serial`` from the ontology AIC ``ontology``."""
    out = lib.derive_entity(data["ontology"], data["entity_serial"], _salt(data))
    return {"entity": str(out)}


def ontology_of(data: dict[str, Any]) -> dict[str, Any]:
    """The ontology AIC of the entity AIC ``entity``."""
    return {"ontology": str(lib.ontology_of(data["entity"], _salt(data)))}


def make(data: dict[str, Any]) -> dict[str, Any]:
    """Mint an AIC from levels 5-9 (``version`` .. ``entity``) under ``salt_hex``."""
    out = lib.make_aic(
        version=data["version"],
        registry=data["registry"],
        provider=data["provider"],
        ontology=data["ontology"],
        entity=data["entity"],
        salt=_salt(data),
    )
    return {"aic": str(out)}


def require_entity(data: dict[str, Any]) -> dict[str, Any]:
    """Require ``aic`` to name an entity."""
    return {"normalized": str(lib.require_entity(data["aic"]))}


def require_ontology(data: dict[str, Any]) -> dict[str, Any]:
    """Require ``aic`` to name an ontology."""
    return {"normalized": str(lib.require_ontology(data["aic"]))}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aic.parse": parse,
    "aic.verify_checksum": verify_checksum,
    "aic.compute_checksum": compute_checksum,
    "aic.derive_entity": derive_entity,
    "aic.ontology_of": ontology_of,
    "aic.make": make,
    "aic.require_entity": require_entity,
    "aic.require_ontology": require_ontology,
}
