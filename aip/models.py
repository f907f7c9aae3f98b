"""Public pydantic models of the objects defined so far, and their JSON Schema export.

Use these to build and document objects, and to export ``spec/schema/*.schema.json``
(:func:`export_schemas`; a test keeps the files equal to the export).  They are deliberately
kept off the hot path: received objects are checked by the codec, :mod:`aip.integrity` and the
protocol cores, never by re-validating through a model (a model could drop unknown members that
a signature covers).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AIC_PATTERN", "AicText", "ErrorObject", "Integrity", "export_schemas"]

# Format of a canonical AIC (spec/04-identity-aic.md): prefix, version, registry, provider,
# ontology, entity, checksum; value ranges are checked by aip.identity.aic, not by the pattern.
AIC_PATTERN = (
    r"^1\.2\.156\.3088\.[0-9A-Z]\.[0-9A-Z]{1,6}\.[0-9A-Z]{1,6}\.[0-9A-Z]{1,9}"
    r"\.[0-9A-Z]{1,9}\.[0-9A-Z]{4}$"
)
AicText = Annotated[str, Field(pattern=AIC_PATTERN, description="An AIC in canonical form")]


class Integrity(BaseModel):
    """The ``integrity`` member of a signed object [INT-SIG-001], [INT-SIG-003..005]."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Integrity")

    alg: Literal["EdDSA"] = Field(description="Ed25519 (RFC 8032), the only algorithm")
    kid: str = Field(min_length=1, description="Key id; for agent keys the RFC 7638 thumbprint")
    sig: str = Field(
        pattern=r"^[A-Za-z0-9_-]{85}[AQgw]$",
        description="The 64-byte signature, base64url without padding (86 characters)",
    )


class ErrorObject(BaseModel):
    """A JSON-RPC 2.0 error object as AIP sends it [ARC-RPC-006]."""

    model_config = ConfigDict(extra="forbid", title="ErrorObject")

    code: int = Field(description="A code from spec/errors.json")
    message: str
    data: dict[str, Any] | None = Field(
        default=None, description="Details; for aip-ri codes it holds `parent`"
    )


def export_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the public models, keyed by file name under ``spec/schema/``."""
    out: dict[str, dict[str, Any]] = {}
    for name, model in (("integrity", Integrity), ("jsonrpc-error", ErrorObject)):
        schema = model.model_json_schema()
        out[f"{name}.schema.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:aip:spec:schema:{name}",
            **schema,
        }
    return out
