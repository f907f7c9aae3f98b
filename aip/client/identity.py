"""An agent's identity on disk (shell: files): key, certificates and trusted roots.

Layout of an identity directory (mode 0700): ``identity.json`` (AIC, format), ``agent.key``
(Ed25519 PKCS#8 PEM, 0600), ``client.pem`` / ``server.pem`` (leaf then intermediate, when held)
and ``trust-bundle.pem`` (the domain root).  :func:`save_identity` writes atomically;
:func:`load_identity` reads one back as an :class:`~aip.client.session.AgentIdentity`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from aip._files import write_atomic
from aip.client.session import AgentIdentity, Enrolled
from aip.identity.aic import parse_aic
from aip.identity.certificates import certificate_pem, load_certificate, load_certificates
from aip.identity.keyfile import signing_key_from_pem, signing_key_to_pem
from aip.identity.keys import SigningKey

__all__ = ["IDENTITY_FORMAT", "load_enrolled", "load_identity", "save_identity"]

IDENTITY_FORMAT = "aip-identity/1"


def save_identity(
    directory: str | os.PathLike[str],
    aic: str,
    key: SigningKey,
    chains: dict[str, list[str]],
    trust_roots: list[str],
) -> Path:
    """Write an identity directory; ``chains`` maps "clientAuth"/"serverAuth" to PEM chains.

    Raises ``OSError``.  Refuses (``FileExistsError``) to overwrite an existing identity.
    """
    root = Path(directory)
    if (root / "identity.json").exists():
        raise FileExistsError(f"{root} already holds an identity")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(root / "agent.key", signing_key_to_pem(key), 0o600)
    for usage, name in (("clientAuth", "client.pem"), ("serverAuth", "server.pem")):
        if usage in chains:
            write_atomic(root / name, "".join(chains[usage]).encode("ascii"))
    write_atomic(root / "trust-bundle.pem", "".join(trust_roots).encode("ascii"))
    meta = {"format": IDENTITY_FORMAT, "aic": str(parse_aic(aic))}
    write_atomic(root / "identity.json", json.dumps(meta, indent=2).encode() + b"\n")  # last
    return root


def load_identity(directory: str | os.PathLike[str]) -> AgentIdentity:
    """Read an identity directory written by :func:`save_identity` (the clientAuth chain).

    Raises ``OSError``, ``ValueError`` for a foreign format, and the library's errors for
    unusable keys or certificates.
    """
    root = Path(directory)
    meta = json.loads((root / "identity.json").read_text(encoding="utf-8"))
    if meta.get("format") != IDENTITY_FORMAT:
        raise ValueError(f"{root}: not an {IDENTITY_FORMAT} directory")
    key = signing_key_from_pem((root / "agent.key").read_bytes())
    chain = [
        certificate_pem(c).decode("ascii")
        for c in load_certificates((root / "client.pem").read_bytes())
    ]
    roots = load_certificates((root / "trust-bundle.pem").read_bytes())
    load_certificate(chain[0])
    return AgentIdentity(str(parse_aic(meta["aic"])), key, chain, roots)


def load_enrolled(directory: str | os.PathLike[str]) -> Enrolled:
    """Read an identity directory with every chain it holds, e.g. to serve with an ``Agent``.

    Raises like :func:`load_identity`.
    """
    root = Path(directory)
    identity = load_identity(root)
    chains = {"clientAuth": list(identity.certificates)}
    server = root / "server.pem"
    if server.exists():
        chains["serverAuth"] = [
            certificate_pem(c).decode("ascii") for c in load_certificates(server.read_bytes())
        ]
    bundle = [certificate_pem(root_cert).decode("ascii") for root_cert in identity.trust_roots]
    return Enrolled(identity, chains, bundle)
