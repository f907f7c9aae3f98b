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

__all__ = [
    "AIC_PATTERN",
    "AicText",
    "ErrorObject",
    "Implementation",
    "Integrity",
    "NodeInfo",
    "NodeInfoLimits",
    "export_schemas",
]

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


class NodeInfoLimits(BaseModel):
    """The limits a node publishes and enforces [ARC-LIM-001]."""

    model_config = ConfigDict(extra="allow", title="NodeInfoLimits")

    maxFrameBytes: int = Field(ge=1, description="Largest message accepted, in bytes")
    maxNestingDepth: int = Field(ge=1, description="Deepest nesting accepted")


class Implementation(BaseModel):
    """Which software answers."""

    model_config = ConfigDict(extra="allow", title="Implementation")

    name: str
    version: str


class NodeInfoTransport(BaseModel):
    """How the node is reached [SES-TLS-009]."""

    model_config = ConfigDict(extra="allow", title="NodeInfoTransport")

    tls: bool = Field(description="True when the node serves wss:// in mTLS mode (Part 7 §7.4)")


class NodeInfoFeatures(BaseModel):
    """Optional behaviours the node has switched on."""

    model_config = ConfigDict(extra="allow", title="NodeInfoFeatures")

    devEnrollment: bool = Field(
        description="Development mode: local agents enroll without a token [IDN-ENR-009]"
    )
    auditLog: bool | None = Field(
        default=None, description="The node keeps a transparency log (Part 11) [AUD-API-002]"
    )
    witness: bool | None = Field(
        default=None, description="The node cosigns other nodes' checkpoints [AUD-WIT-001]"
    )
    liveness: bool | None = Field(
        default=None,
        description="Discovery leaves out entities without recent signs of life [DSC-LIV-007]",
    )
    federation: bool | None = Field(
        default=None,
        description="Discovery forwards to federation peers (spec Part 8 §8.7) [DSC-FWD-028]",
    )


class NodeInfoFederation(BaseModel):
    """The domains this node's discovery forwards to [DSC-FWD-028]."""

    model_config = ConfigDict(extra="allow", title="NodeInfoFederation")

    peers: list[AicText] = Field(
        description="Node AICs of the configured federation peers, in preference order"
    )


class NodeInfoLiveness(BaseModel):
    """How discovery judges liveness (spec Part 8 §8.9) [DSC-LIV-007]."""

    model_config = ConfigDict(extra="allow", title="NodeInfoLiveness")

    staleAfterSeconds: float = Field(
        ge=0,
        description="Seconds without a heartbeat or an open session after which an entity is "
        "left out of discovery answers; 0 when liveness is off",
    )


class NodeInfoAudit(BaseModel):
    """The node's transparency log and witness keys [AUD-API-002]."""

    model_config = ConfigDict(extra="allow", title="NodeInfoAudit")

    origin: str = Field(min_length=1, description="The first line of the log's checkpoints")
    logKey: str = Field(description="Verifier key (vkey) of the log's checkpoint signatures")
    witnessKey: str = Field(description="Verifier key (vkey, type 0x04) of its cosignatures")
    witnessing: list[str] = Field(description="Origins of the logs this node witnesses")
    witnesses: list[str] = Field(description="Cosigner vkeys this node's log asks")
    checkpointIntervalSeconds: float = Field(gt=0, description="How often checkpoints come")


class NodeInfo(BaseModel):
    """The result of ``node.info`` [ARC-NODE-001]; clients ignore members they do not know."""

    model_config = ConfigDict(extra="allow", title="NodeInfo")

    protocol: Literal["aip"]
    protocolVersion: str = Field(pattern=r"^[0-9]+\.[0-9]+$")
    implementation: Implementation
    nodeAic: AicText
    domain: str = Field(min_length=1)
    trustBundle: list[str] = Field(
        min_length=1, description="PEM root certificates of the node's domain"
    )
    nodeCertificate: str = Field(
        description="PEM chain: the node's serverAuth certificate, then its issuer"
    )
    limits: NodeInfoLimits
    transport: NodeInfoTransport | None = None
    features: NodeInfoFeatures | None = None
    audit: NodeInfoAudit | None = None
    liveness: NodeInfoLiveness | None = None
    federation: NodeInfoFederation | None = None
    methods: list[str] = Field(description="Methods this node serves")


def export_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the public models, keyed by file name under ``spec/schema/``."""
    out: dict[str, dict[str, Any]] = {}
    models: tuple[tuple[str, type[BaseModel]], ...] = (
        ("integrity", Integrity),
        ("jsonrpc-error", ErrorObject),
        ("node-info", NodeInfo),
    )
    for name, model in models:
        schema = model.model_json_schema()
        out[f"{name}.schema.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:aip:spec:schema:{name}",
            **schema,
        }
    return out
