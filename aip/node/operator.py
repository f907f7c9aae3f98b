"""The node operator's identity: a clientAuth certificate of the node's own domain.

The operator issues enrollment tokens through the running node (``atr.issueToken``) over an
authenticated session, so that the node — the only writer of its CA state — records them.  On
every start :func:`ensure_operator` makes sure ``keys/operator.key`` and ``certs/operator.pem``
exist and are current; ``aip token`` reads them with :func:`load_operator` (no lock needed).
The operator's AIC is the node's ontology with entity serial 2.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from aip._files import write_atomic
from aip.client.session import AgentIdentity
from aip.identity.aic import derive_entity, ontology_of
from aip.identity.certificates import (
    MAX_SERIAL,
    Usage,
    certificate_pem,
    inspect_agent_certificate,
    load_certificates,
)
from aip.identity.keyfile import signing_key_from_pem, signing_key_to_pem
from aip.identity.keys import SigningKey
from aip.node.datadir import DataDir

__all__ = ["OPERATOR_ENTITY", "ensure_operator", "load_operator"]

OPERATOR_ENTITY = "2"


def _files(root: Path) -> tuple[Path, Path]:
    return root / "keys" / "operator.key", root / "certs" / "operator.pem"


def ensure_operator(data: DataDir, now: datetime) -> str:
    """Create or refresh the operator identity in ``data``; return the operator AIC.

    A certificate within the CA's renewal window (or missing) is re-issued over the same key; a
    revoked one (the operator revoked it, e.g. for key compromise) is replaced with a new key,
    so revoking it never locks the operator out for good.  The key file is written first and
    the CA state is saved before the certificate file, so a crash leaves a state the next start
    repairs.  Raises ``OSError``.
    """
    identity = data.identity
    salt = bytes.fromhex((data.path / "keys" / "registry.salt").read_text().strip())
    aic = str(derive_entity(ontology_of(identity.aic, salt), OPERATOR_ENTITY, salt))
    key_file, cert_file = _files(data.path)
    ca = identity.ca
    info = None
    if cert_file.exists():
        info = inspect_agent_certificate(load_certificates(cert_file.read_bytes())[0])
    if key_file.exists() and not (info is not None and info.serial in ca.state.revoked):
        key = signing_key_from_pem(key_file.read_bytes())
    else:  # first start, or the operator's certificate was revoked: a new key, written first
        key = SigningKey(secrets.token_bytes(32))
        write_atomic(key_file, signing_key_to_pem(key), 0o600)
    window = timedelta(days=ca.state.renewal_window_days)
    if (
        info is not None
        and info.key == key.verify_key
        and info.aic == aic
        and now < info.not_after - window
    ):
        return aic
    cert = ca.issue(aic, key.verify_key, Usage.CLIENT, now, secrets.randbelow(MAX_SERIAL) + 1)
    data.save_ca_state()
    write_atomic(cert_file, certificate_pem(cert) + ca.chain_pem())
    return aic


def load_operator(root: str | os.PathLike[str]) -> AgentIdentity:
    """The operator identity of the data directory at ``root``, to connect to its node.

    Raises ``OSError`` if the files are missing (start the node once) and the library's
    errors for unusable ones.
    """
    path = Path(root)
    key_file, cert_file = _files(path)
    key = signing_key_from_pem(key_file.read_bytes())
    chain = load_certificates(cert_file.read_bytes())
    roots = load_certificates((path / "ca" / "trust-bundle.pem").read_bytes())
    aic = inspect_agent_certificate(chain[0]).aic
    return AgentIdentity(aic, key, [certificate_pem(c).decode("ascii") for c in chain], roots)
