"""The node's data directory: its domain CA, identity, keys and database (shell: file I/O).

Open it with :meth:`DataDir.open` when a node starts.  On first start it draws fresh randomness
(``secrets``) and creates the domain CA, the node's AIC, key and serverAuth certificate; later
starts load them unchanged (the node certificate alone is re-issued, same key, once it is within
the CA's renewal window).  Layout, all under ``<data>`` (mode 0700)::

    node.json            config: format, domain, nodeAic; written last, it marks a complete setup
    node.sqlite3         SQLite (WAL, synchronous=FULL); table meta: schema_version, node_aic
    audit.sqlite3        the transparency log (aip.audit.store; opened by the node's audit desk)
    registry.sqlite3     registrations, published ACS, discovery index, change feed
                         (aip.discovery.store; opened by the node's registry)
    ca/ca-bundle.pem     root + intermediate certificates and private keys        (0600)
    ca/trust-bundle.pem  the root certificate, to hand to relying parties
    ca/ca.sqlite3        the CA's issued / revoked certificates, tokens (by hash) and
                         CRL number: SQLite (WAL, synchronous=FULL), one transaction
                         per change (aip.node.ca_store)                             (0600)
    ca/state.json.imported  the CA state of an older aip (a whole-file JSON rewritten on
                         every change), kept once it was imported into ca.sqlite3   (0600)
    keys/node.key        the node's Ed25519 key, PKCS#8 PEM, unencrypted            (0600)
    keys/registry.salt   the registry's 16-byte AIC checksum salt, hex (secret)     (0600)
    certs/node.pem       the node's serverAuth certificate

Every file is written atomically (temporary file, fsync, rename, fsync of the directory), so a
crash leaves either the old file or the new one; the SQLite files commit a transaction or none.
A directory set up by an older aip has ``ca/state.json`` instead of ``ca/ca.sqlite3``: the first
open imports it in one transaction, then renames it ``state.json.imported`` (the database is
authoritative from then on; a crash between the two leaves both, and the next open renames).

A crash during first start leaves no ``node.json``; the next start then refuses to overwrite
the key material it finds and says so (losing a CA key is worse than a manual clean-up).  While
open, the directory is locked (``.lock``) so that two nodes never share it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from cryptography import x509

from aip._files import _fsync_dir, write_atomic
from aip.errors import AipError
from aip.identity.aic import Aic, make_aic, verify_checksum
from aip.identity.ca import DomainCA
from aip.identity.ca_state import CaState
from aip.identity.certificates import MAX_SERIAL, Usage, certificate_der, certificate_pem
from aip.identity.certificates import load_certificate as _load_cert
from aip.identity.keyfile import signing_key_from_pem, signing_key_to_pem
from aip.identity.keys import SigningKey
from aip.node.ca_store import CaStore

if sys.platform != "win32":
    import fcntl

__all__ = [
    "CONFIG_FORMAT",
    "DEFAULT_DOMAIN",
    "SCHEMA_VERSION",
    "DataDir",
    "DataDirError",
    "NodeIdentity",
]

CONFIG_FORMAT = "aip-node/1"
SCHEMA_VERSION = 1
DEFAULT_DOMAIN = "localhost"
SALT_SIZE = 16
# The node's own entity AIC: levels 5-9 all "1" under the node's own registry salt.
_NODE_LEVELS = {"version": "1", "registry": "1", "provider": "1", "ontology": "1", "entity": "1"}
_SECRET = 0o600


class DataDirError(Exception):
    """The data directory is unusable: incomplete, inconsistent, unreadable or in use."""


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """Who the node is: its domain, AIC, key, serverAuth certificate and domain CA."""

    domain: str
    aic: Aic
    key: SigningKey
    certificate: x509.Certificate
    ca: DomainCA

    @property
    def trust_bundle_pem(self) -> str:
        """The domain's root certificate, PEM."""
        return self.ca.trust_bundle_pem().decode("ascii")

    @property
    def certificate_chain_pem(self) -> str:
        """The node's certificate followed by the intermediate that issued it, PEM."""
        return (certificate_pem(self.certificate) + self.ca.chain_pem()).decode("ascii")

    @property
    def ca_fingerprint(self) -> str:
        """SHA-256 of the root certificate's DER, lowercase hex."""
        return hashlib.sha256(certificate_der(self.ca.root_certificate)).hexdigest()


def _serial() -> int:
    return secrets.randbelow(MAX_SERIAL) + 1


class DataDir:
    """An open data directory: the node's identity, its database and the directory lock.

    Use as a context manager or call :meth:`close`.  Attributes: ``path``, ``identity``,
    ``database`` (an open ``sqlite3.Connection`` in autocommit mode), ``ca_store`` (the CA
    state's store) and ``created`` (True if this open set the directory up).
    """

    def __init__(
        self,
        path: Path,
        identity: NodeIdentity,
        database: sqlite3.Connection,
        lock: IO[bytes] | None,
        created: bool,
        *,
        ca_store: CaStore,
    ) -> None:
        self.path = path
        self.identity = identity
        self.database = database
        self.ca_store = ca_store
        self.created = created
        self._lock = lock

    # --- layout ------------------------------------------------------------------------------

    @staticmethod
    def paths(root: Path) -> dict[str, Path]:
        """Every file of the layout, by role."""
        return {
            "config": root / "node.json",
            "database": root / "node.sqlite3",
            "ca_bundle": root / "ca" / "ca-bundle.pem",
            "trust_bundle": root / "ca" / "trust-bundle.pem",
            "ca_state": root / "ca" / "ca.sqlite3",
            "ca_state_json": root / "ca" / "state.json",  # older aip: imported, then renamed
            "node_key": root / "keys" / "node.key",
            "salt": root / "keys" / "registry.salt",
            "node_cert": root / "certs" / "node.pem",
        }

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, domain: str | None = None, now: datetime | None = None
    ) -> DataDir:
        """Create or load the data directory at ``path`` and lock it; returns the open directory.

        ``domain`` names the domain on first start (default ``localhost``); on later starts it
        must be None or equal the stored one.  ``now`` (UTC, default the wall clock) dates new
        certificates.  Raises :class:`DataDirError` for an unusable directory (with the file
        and reason), ``OSError`` for I/O failures.
        """
        root = Path(path)
        now = now if now is not None else datetime.now(UTC)
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(f"cannot create data directory {root}: {exc.strerror}") from None
        lock = _lock(root)
        store: CaStore | None = None
        try:
            files = cls.paths(root)
            created = not files["config"].exists()
            if created:
                identity, store = _create(files, domain or DEFAULT_DOMAIN, now)
                database = _open_database(files["database"], identity.aic)
                _write_config(files, identity)  # last: marks the setup complete
            else:
                identity, store = _load(files, domain, now)
                database = _open_database(files["database"], identity.aic)
        except BaseException:
            if store is not None:
                store.close()
            if lock is not None:
                lock.close()
            raise
        return cls(root, identity, database, lock, created, ca_store=store)

    def save_ca_state(self) -> None:
        """Write what changed in the CA's state (issued, revoked, tokens, CRL number) since it
        was last saved, in one durable transaction: its cost does not grow with the records.

        Call after every change and before acknowledging it.  Raises ``OSError`` with the
        stored state unchanged and the change still pending in memory: undo it with
        :meth:`discard_ca_changes` (or save again).
        """
        _save_state(self.ca_store, self.identity.ca)

    def discard_ca_changes(self) -> None:
        """Undo in memory every CA change not yet saved (after :meth:`save_ca_state` failed)."""
        self.identity.ca.state.discard()

    def close(self) -> None:
        """Close the databases and release the directory lock; safe to call twice."""
        self.database.close()
        self.ca_store.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> DataDir:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _lock(root: Path) -> IO[bytes] | None:
    if sys.platform == "win32":  # pragma: no cover - no advisory lock there
        return None
    handle = open(root / ".lock", "ab")  # noqa: SIM115  (held open while the node runs)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise DataDirError(f"data directory {root} is in use by another node") from None
    return handle


def _create(files: dict[str, Path], domain: str, now: datetime) -> tuple[NodeIdentity, CaStore]:
    """First start: fresh keys, CA, salt, AIC and certificate; everything but node.json.

    Refuses to overwrite key material left without a node.json (a crash during an earlier
    first start, or a deleted node.json): losing a CA key is worse than a manual clean-up.
    """
    roles = ("ca_bundle", "node_key", "salt", "ca_state", "ca_state_json")
    leftovers = [files[r] for r in roles if files[r].exists()]
    if leftovers:
        raise DataDirError(
            f"{files['config']} is missing but {leftovers[0]} exists: restore node.json, "
            "or remove the incomplete data directory"
        )
    root_serial, inter_serial = _serial(), _serial()
    while inter_serial == root_serial:  # pragma: no cover - 2^-159
        inter_serial = _serial()
    ca = DomainCA.create(
        domain,
        SigningKey(secrets.token_bytes(32)),
        SigningKey(secrets.token_bytes(32)),
        now,
        root_serial=root_serial,
        intermediate_serial=inter_serial,
    )
    salt = secrets.token_bytes(SALT_SIZE)
    aic = make_aic(**_NODE_LEVELS, salt=salt)
    key = SigningKey(secrets.token_bytes(32))
    cert = ca.issue(str(aic), key.verify_key, Usage.SERVER, now, _serial())
    for directory in ("ca", "keys", "certs"):
        files["config"].parent.joinpath(directory).mkdir(mode=0o700, exist_ok=True)
    write_atomic(files["ca_bundle"], ca.to_pem_bundle(), _SECRET)
    write_atomic(files["trust_bundle"], ca.trust_bundle_pem())
    write_atomic(files["salt"], salt.hex().encode("ascii") + b"\n", _SECRET)
    write_atomic(files["node_key"], signing_key_to_pem(key), _SECRET)
    write_atomic(files["node_cert"], certificate_pem(cert))
    store = _open_store(files["ca_state"])
    try:
        store.replace(ca.state)
    except BaseException:
        store.close()
        raise
    return NodeIdentity(ca.state.domain, aic, key, cert, ca), store


def _write_config(files: dict[str, Path], identity: NodeIdentity) -> None:
    config = {"format": CONFIG_FORMAT, "domain": identity.domain, "nodeAic": str(identity.aic)}
    write_atomic(files["config"], json.dumps(config, indent=2).encode("utf-8") + b"\n")


def _save_state(store: CaStore, ca: DomainCA) -> None:
    try:
        store.save(ca.state)
    except sqlite3.Error as exc:
        raise OSError(errno.EIO, f"cannot save the CA state: {exc}") from exc


def _open_store(path: Path) -> CaStore:
    try:
        return CaStore.open(path)
    except sqlite3.Error as exc:
        raise DataDirError(f"{path}: {exc}") from None


def _load_state(files: dict[str, Path]) -> tuple[CaState, CaStore]:
    """The CA state and its open store; imports an older ``state.json`` once (see above).

    Raises :class:`DataDirError` (missing, readable by others, damaged), ``OSError``.
    """
    path, legacy = files["ca_state"], files["ca_state_json"]
    if path.exists():
        _read_mode(path)
    elif not legacy.exists():
        raise DataDirError(f"{path} is missing: the data directory is incomplete")
    store = _open_store(path)
    try:
        where = path
        try:
            state = store.load()
            if state is None:  # new, or an import that did not commit
                if not legacy.exists():
                    raise DataDirError(f"{path} holds no CA state: the directory is incomplete")
                where = legacy
                state = CaState.from_dict(json.loads(_read(legacy, secret=True)))
                where = path
                store.replace(state)
        except sqlite3.Error as exc:
            raise DataDirError(f"{where}: {exc}") from None
        except (AipError, ValueError) as exc:
            reason = exc.message if isinstance(exc, AipError) else str(exc)
            raise DataDirError(f"{where}: {reason}") from None
        if legacy.exists():  # imported (now or by an open that crashed before renaming)
            os.replace(legacy, legacy.with_name(legacy.name + ".imported"))
            _fsync_dir(legacy.parent)
    except BaseException:
        store.close()
        raise
    return state, store


def _read_mode(path: Path) -> None:
    """Refuse a secret file that other users may read."""
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise DataDirError(f"{path} is readable by other users; run: chmod 600 {path}")
    except FileNotFoundError:
        raise DataDirError(f"{path} is missing: the data directory is incomplete") from None


def _read(path: Path, *, secret: bool = False) -> bytes:
    if secret:
        _read_mode(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataDirError(f"{path} is missing: the data directory is incomplete") from None


def _load(
    files: dict[str, Path], domain: str | None, now: datetime
) -> tuple[NodeIdentity, CaStore]:
    """Later starts: load and cross-check everything; re-issue the node certificate if due."""
    where = files["config"]
    try:
        config: Any = json.loads(_read(where))
        if config.get("format") != CONFIG_FORMAT:
            raise DataDirError(f"{where}: unknown format {config.get('format')!r}")
        stored_domain, stored_aic = str(config["domain"]), str(config["nodeAic"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataDirError(f"{where}: {str(exc) or type(exc).__name__}") from None
    state, store = _load_state(files)
    try:
        identity = _load_identity(
            files, state, store, stored=(stored_domain, stored_aic), domain=domain, now=now
        )
    except BaseException:
        store.close()
        raise
    return identity, store


def _load_identity(
    files: dict[str, Path],
    state: CaState,
    store: CaStore,
    *,
    stored: tuple[str, str],
    domain: str | None,
    now: datetime,
) -> NodeIdentity:
    """Load the keys and certificates over ``state`` and check them against ``stored`` (the
    configured domain and node AIC); save a re-issued node certificate in ``store``."""
    stored_domain, stored_aic = stored
    try:
        where = files["ca_bundle"]
        ca = DomainCA.from_pem_bundle(_read(where, secret=True), state)
        where = files["salt"]
        salt = bytes.fromhex(_read(where, secret=True).decode("ascii").strip())
        where = files["config"]
        aic = verify_checksum(stored_aic, salt)
        where = files["node_key"]
        key = signing_key_from_pem(_read(where, secret=True))
        where = files["node_cert"]
        cert = _load_cert(_read(where))
    except (AipError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = exc.message if isinstance(exc, AipError) else str(exc) or type(exc).__name__
        raise DataDirError(f"{where}: {reason}") from None
    if domain is not None and domain.lower() != stored_domain:
        raise DataDirError(f"the data directory is for domain {stored_domain!r}, not {domain!r}")
    if ca.state.domain != stored_domain:
        raise DataDirError(f"{files['ca_bundle']}: the CA is for another domain")
    record = ca.state.record(cert.serial_number)
    if record is None or record.der != certificate_der(cert) or record.info.aic != str(aic):
        raise DataDirError(f"{files['node_cert']}: not the node certificate issued by this CA")
    if record.info.key != key.verify_key:
        raise DataDirError(f"{files['node_key']}: does not match the node certificate")
    window = timedelta(days=ca.state.renewal_window_days)
    if now >= cert.not_valid_after_utc - window:  # due or expired: same key, fresh certificate
        cert = ca.issue(str(aic), key.verify_key, Usage.SERVER, now, _serial())
        _save_state(store, ca)  # first: a crash before the next write keeps a known cert
        write_atomic(files["node_cert"], certificate_pem(cert))
    return NodeIdentity(stored_domain, aic, key, cert, ca)


def _open_database(path: Path, aic: Aic) -> sqlite3.Connection:
    """Open (creating if needed) the node database and check its meta table."""
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DataDirError(f"{path}: {exc}") from None
    try:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DataDirError(f"{path}: cannot switch to WAL journal mode (got {mode})")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if not meta:
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("node_aic", str(aic))],
                )
            elif meta.get("node_aic") != str(aic):
                raise DataDirError(f"{path}: belongs to node {meta.get('node_aic')!r}")
            elif meta.get("schema_version") != str(SCHEMA_VERSION):
                raise DataDirError(
                    f"{path}: schema version {meta.get('schema_version')!r}, "
                    f"this aip reads {SCHEMA_VERSION}"
                )
    except BaseException as exc:
        db.close()
        if isinstance(exc, sqlite3.Error):
            raise DataDirError(f"{path}: {exc}") from None
        raise
    return db
