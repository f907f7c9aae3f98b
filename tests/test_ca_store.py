"""The CA state in ``ca/ca.sqlite3`` (aip.node.ca_store): a change writes only its own rows, in
one durable transaction; a failed save leaves memory and disk as they were; an older data
directory's ``ca/state.json`` is imported once; a kill -9 loses no acknowledged token."""

from __future__ import annotations

import asyncio
import errno
import json
import random
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aip.errors import AipError, Code
from aip.identity.aic import make_aic
from aip.identity.ca_state import CaState
from aip.identity.certificates import Usage
from aip.identity.enrollment import build_csr, token_id_of
from aip.identity.keys import SigningKey, b64url_decode
from aip.jsonrpc import Caller
from aip.node.atr import Enrollment
from aip.node.ca_store import read_ca_state
from aip.node.datadir import DataDir, DataDirError
from aip.node.discovery import TokenBatch

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
OPERATOR = Caller("operator")
KEY = SigningKey(b"\x17" * 32)


def _aic(n: int) -> str:
    levels = {"version": "1", "registry": "1", "provider": "2", "ontology": "1"}
    return str(make_aic(**levels, entity=str(n), salt=bytes(16)))


def _snapshot(state: CaState) -> dict[str, Any]:
    return state.to_dict()


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataDir]:
    with DataDir.open(tmp_path / "d", now=NOW) as opened:
        yield opened


def _desk(data: DataDir) -> Enrollment:
    return Enrollment(data, "operator", lambda: NOW)


def _enroll(desk: Enrollment, n: int) -> dict[str, Any]:
    token = desk.issue_token(_aic(n))
    csr = build_csr(KEY, _aic(n)).decode("ascii")
    return desk.enroll({"token": token, "csr": csr, "usages": ["clientAuth"]}, OPERATOR)


def _busy(data: DataDir) -> tuple[Enrollment, int]:
    """A desk with tokens, an enrollment, a revocation and a signed list; returns a serial."""
    desk = _desk(data)
    for n in range(1, 4):
        desk.issue_token(_aic(n))
    _enroll(desk, 4)
    answer = _enroll(desk, 5)
    serial = max(s for s, r in data.identity.ca.state.issued.items() if r.info.aic == _aic(5))
    desk.revoke({"serial": str(serial), "reason": 1}, OPERATOR)
    assert answer["certificates"]
    desk.revocation_list({}, OPERATOR)
    return desk, serial


def _refused(call: Callable[[], object]) -> int | None:
    """The errno of the ``OSError`` that ``call`` raises (it must raise one)."""
    try:
        call()
    except OSError as exc:
        return exc.errno
    raise AssertionError("the change was acknowledged")


def _add_trigger(root: Path, table: str) -> None:
    """Make every insert into ``table`` fail, from another connection (the fault injected)."""
    db = sqlite3.connect(DataDir.paths(root)["ca_state"])
    try:
        db.execute(
            f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )
        db.commit()
    finally:
        db.close()


def _drop_trigger(root: Path, table: str) -> None:
    db = sqlite3.connect(DataDir.paths(root)["ca_state"])
    try:
        db.execute(f"DROP TRIGGER fail_{table}")
        db.commit()
    finally:
        db.close()


# --- close / reopen -----------------------------------------------------------------------------


def test_state_survives_close_and_reopen_exactly(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root, now=NOW) as data:
        _, serial = _busy(data)
        state = data.identity.ca.state
        before = _snapshot(state)
        assert state.crl_number == 1
        assert serial in state.revoked
        assert len(state.tokens.records) == 5
        assert read_ca_state(root).to_dict() == before  # read-only, while the node has it open
    with DataDir.open(root, now=NOW) as again:
        assert _snapshot(again.identity.ca.state) == before
        assert again.identity.ca.state == state
    files = DataDir.paths(root)
    assert files["ca_state"].stat().st_mode & 0o777 == 0o600
    assert not files["ca_state_json"].exists()


def test_a_change_writes_only_its_own_rows(data: DataDir) -> None:
    desk = _desk(data)
    for n in range(1, 301):
        desk.issue_token(_aic(n))
    statements: list[str] = []
    data.ca_store._db.set_trace_callback(statements.append)
    desk.issue_token(_aic(301))
    writes = [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert len(writes) == 1
    assert data.identity.ca.state.changes().tokens == {}  # settled


def test_nothing_to_save_writes_nothing(data: DataDir) -> None:
    statements: list[str] = []
    data.ca_store._db.set_trace_callback(statements.append)
    data.save_ca_state()
    assert statements == []


def test_a_direct_change_is_saved_too(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root, now=NOW) as data:
        ca = data.identity.ca
        ca.issue(_aic(9), KEY.verify_key, Usage.CLIENT, NOW, 12345)  # as ensure_operator does
        data.save_ca_state()
    with DataDir.open(root, now=NOW) as again:
        assert again.identity.ca.state.issued[12345].info.aic == _aic(9)


# --- a failed save -------------------------------------------------------------------------------


def test_a_failed_token_save_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root, now=NOW) as data:
        desk, _ = _busy(data)
        state = data.identity.ca.state
        before = _snapshot(state)
        _add_trigger(root, "tokens")
        assert _refused(lambda: desk.issue_token(_aic(50))) == errno.EIO
        assert _snapshot(state) == before
        assert not state.changes()
        assert read_ca_state(root).to_dict() == before
        _drop_trigger(root, "tokens")
        token = desk.issue_token(_aic(50))  # works again once the fault is gone
        after = _snapshot(state)
    with DataDir.open(root, now=NOW) as again:
        assert _snapshot(again.identity.ca.state) == after
        tid = token_id_of(b64url_decode(token.removeprefix("aipt1.")))
        assert tid in again.identity.ca.state.tokens.records


def test_a_failed_enrollment_save_burns_no_token_and_issues_nothing(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root, now=NOW) as data:
        desk = _desk(data)
        token = desk.issue_token(_aic(7))
        state = data.identity.ca.state
        before = _snapshot(state)
        # issued rows are written first, then the token row fails: the transaction rolls back
        _add_trigger(root, "tokens")
        csr = build_csr(KEY, _aic(7)).decode("ascii")
        params = {"token": token, "csr": csr, "usages": ["clientAuth", "serverAuth"]}
        assert _refused(lambda: desk.enroll(params, OPERATOR)) == errno.EIO
        assert _snapshot(state) == before
        assert read_ca_state(root).to_dict() == before
        _drop_trigger(root, "tokens")
        answer = desk.enroll(params, OPERATOR)  # the token was not burnt
        assert set(answer["certificates"]) == {"clientAuth", "serverAuth"}


def test_a_failed_revocation_and_list_save_change_nothing(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root, now=NOW) as data:
        desk = _desk(data)
        _enroll(desk, 3)
        state = data.identity.ca.state
        serial = next(s for s, r in state.issued.items() if r.info.aic == _aic(3))
        before = _snapshot(state)
        _add_trigger(root, "revoked")
        revoke = {"serial": str(serial), "reason": 0}
        assert _refused(lambda: desk.revoke(revoke, OPERATOR)) == errno.EIO
        assert serial not in state.revoked
        _add_trigger(root, "settings")
        assert _refused(lambda: desk.revocation_list({}, OPERATOR)) == errno.EIO
        assert state.crl_number == 0
        assert _snapshot(state) == before
        assert read_ca_state(root).to_dict() == before


def test_a_failed_save_is_refused_with_an_os_error_and_kept_pending(data: DataDir) -> None:
    _add_trigger(data.path, "issued")
    ca = data.identity.ca
    ca.issue(_aic(9), KEY.verify_key, Usage.CLIENT, NOW, 777)
    assert _refused(data.save_ca_state) == errno.EIO
    assert 777 in ca.state.changes().issued  # still pending: the caller decides
    data.discard_ca_changes()
    assert 777 not in ca.state.issued
    assert not ca.state.changes()


# --- the journal ---------------------------------------------------------------------------------


def test_the_journal_sees_every_dict_method_and_undoes_them() -> None:
    state = CaState("example.org")
    issued: Any = state.issued  # stand-in values: the journal does not look at them
    records: Any = state.tokens.records
    state.revoked.update({})
    assert not state.changes()
    issued[1] = "a"
    state.settle()
    issued[2] = "b"
    issued.pop(1)
    issued.setdefault(3, "c")
    issued |= {4: "d"}
    issued.update({5: "e"})
    del issued[5]  # added and removed: no change
    records["t"] = "x"
    records.popitem()
    state.crl_number = 9
    changes: Any = state.changes()
    assert changes.issued == {1: None, 2: "b", 3: "c", 4: "d"}
    assert changes.tokens == {}
    assert changes.settings == {"crl_number": 9}
    state.discard()
    assert dict(issued) == {1: "a"}
    assert state.crl_number == 0
    assert not state.changes()
    issued.clear()
    assert state.changes().issued == {1: None}


def test_a_replaced_dict_is_refused() -> None:
    state = CaState("example.org")
    state.issued = {}
    with pytest.raises(TypeError):
        state.changes()


# --- migration of an older data directory --------------------------------------------------------


def _make_old(root: Path) -> dict[str, Any]:
    """A data directory as an older aip left it: ca/state.json, no ca/ca.sqlite3."""
    with DataDir.open(root, now=NOW) as data:
        _busy(data)
        snapshot = _snapshot(data.identity.ca.state)
    files = DataDir.paths(root)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{files['ca_state']}{suffix}").unlink(missing_ok=True)
    old = files["ca_state_json"]
    old.write_text(json.dumps(snapshot, indent=1))
    old.chmod(0o600)
    return snapshot


def test_an_old_state_json_is_imported_once(tmp_path: Path) -> None:
    root = tmp_path / "d"
    snapshot = _make_old(root)
    files = DataDir.paths(root)
    with DataDir.open(root, now=NOW) as data:
        assert _snapshot(data.identity.ca.state) == snapshot
        _desk(data).issue_token(_aic(40))  # and it goes on from there
        after = _snapshot(data.identity.ca.state)
    imported = files["ca_state_json"].with_name("state.json.imported")
    assert not files["ca_state_json"].exists()
    assert json.loads(imported.read_text()) == snapshot  # kept, renamed
    assert files["ca_state"].stat().st_mode & 0o777 == 0o600
    imported.write_text("not read again")
    with DataDir.open(root, now=NOW) as again:
        assert _snapshot(again.identity.ca.state) == after


def test_an_import_cut_short_is_done_again(tmp_path: Path) -> None:
    root = tmp_path / "d"
    snapshot = _make_old(root)
    files = DataDir.paths(root)
    sqlite3.connect(files["ca_state"]).close()  # created, nothing committed
    files["ca_state"].chmod(0o600)
    with DataDir.open(root, now=NOW) as data:
        assert _snapshot(data.identity.ca.state) == snapshot
    assert not files["ca_state_json"].exists()


def test_a_state_json_left_beside_an_imported_store_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root, now=NOW) as data:
        _busy(data)
        snapshot = _snapshot(data.identity.ca.state)
    files = DataDir.paths(root)
    files["ca_state_json"].write_text("{}")  # a crash after the import, before the rename
    files["ca_state_json"].chmod(0o600)
    with DataDir.open(root, now=NOW) as again:
        assert _snapshot(again.identity.ca.state) == snapshot
    assert not files["ca_state_json"].exists()


@pytest.mark.parametrize("damage", ["missing", "open", "empty", "bad_json", "bad_row"])
def test_a_damaged_ca_state_is_refused(tmp_path: Path, damage: str) -> None:
    root = tmp_path / "d"
    DataDir.open(root, now=NOW).close()
    files = DataDir.paths(root)
    path = files["ca_state"]
    if damage == "missing":
        path.unlink()
    elif damage == "open":
        path.chmod(0o644)
    elif damage == "empty":
        db = sqlite3.connect(path)
        db.execute("DELETE FROM settings")
        db.commit()
        db.close()
    elif damage == "bad_json":
        path.unlink()
        files["ca_state_json"].write_text("{not json")
        files["ca_state_json"].chmod(0o600)
    else:
        db = sqlite3.connect(path)
        db.execute("UPDATE issued SET der = x'00'")
        db.commit()
        db.close()
    with pytest.raises(DataDirError):
        DataDir.open(root, now=NOW)


# --- kill -9 ----------------------------------------------------------------------------------

_CHILD = """
import sys
from aip.node.atr import Enrollment
from aip.node.datadir import DataDir
from aip.identity.aic import make_aic
data = DataDir.open(sys.argv[1])
desk = Enrollment(data, "operator")
print("ready", flush=True)
for n in range(1, 100_000):
    levels = dict(version="1", registry="1", provider="2", ontology="1", entity=str(n))
    aic = make_aic(**levels, salt=bytes(16))
    print(str(aic), desk.issue_token(str(aic)), flush=True)
"""


async def test_kill_9_loses_no_acknowledged_token(tmp_path: Path) -> None:
    root = tmp_path / "d"
    DataDir.open(root).close()
    acked: list[tuple[str, str]] = []
    kill_after = random.randint(20, 400)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(root), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            assert (await proc.stdout.readline()).strip() == b"ready"
            while len(acked) < kill_after:
                line = (await proc.stdout.readline()).decode("ascii").split()
                assert len(line) == 2, "the child stopped early"
                acked.append((line[0], line[1]))
            proc.kill()  # SIGKILL, while it is issuing more
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    with DataDir.open(root) as data:
        state = data.identity.ca.state
        now = datetime.now(UTC)
        for aic, token in acked:
            record = state.tokens.records[token_id_of(b64url_decode(token.removeprefix("aipt1.")))]
            assert record.aic == aic
            assert now < record.expires_at
            assert record.used_at is None
        aic, token = acked[-1]  # and the last one acknowledged is redeemable
        desk = Enrollment(data, "operator")
        csr = build_csr(KEY, aic).decode("ascii")
        answer = desk.enroll({"token": token, "csr": csr, "usages": ["clientAuth"]}, OPERATOR)
        assert "clientAuth" in answer["certificates"]
        other = build_csr(SigningKey(b"\x18" * 32), aic).decode("ascii")  # not a replay
        with pytest.raises(AipError) as info:
            desk.enroll({"token": token, "csr": other, "usages": ["clientAuth"]}, OPERATOR)
        assert info.value.code is Code.ENROLLMENT_TOKEN_USED


def test_tokens_issued_together_are_saved_together_or_not_at_all(data: DataDir) -> None:
    """Enrollment.issue_tokens (the registry's batch of derived entities): one save for all,
    and a refused AIC among them leaves no token behind."""
    desk = _desk(data)
    state = data.identity.ca.state
    before = _snapshot(state)
    with pytest.raises(AipError) as refused:
        desk.issue_tokens([_aic(60), "not an aic", _aic(61)])
    assert refused.value.code == Code.AIC_MALFORMED
    assert _snapshot(state) == before
    assert not state.changes()
    tokens = desk.issue_tokens([_aic(60), _aic(61), _aic(62)])
    assert len(set(tokens)) == 3
    for n, token in zip((60, 61, 62), tokens, strict=True):
        csr = build_csr(KEY, _aic(n)).decode("ascii")
        answer = desk.enroll({"token": token, "csr": csr, "usages": ["clientAuth"]}, OPERATOR)
        assert answer["certificates"]["clientAuth"]


async def test_a_token_batch_shares_one_save_per_loop_turn(data: DataDir) -> None:
    """TokenBatch: concurrent requests in one turn of the event loop become one call of the
    issuer; a refused batch fails every request in it, and the next batch is unaffected."""
    desk = _desk(data)
    calls: list[list[str]] = []

    def issue(aics: list[str]) -> list[str]:
        calls.append(list(aics))
        return desk.issue_tokens(aics)

    batch = TokenBatch(issue)
    async with asyncio.timeout(10):
        tokens = await asyncio.gather(*(batch.token_for(_aic(n)) for n in range(70, 75)))
        assert calls == [[_aic(n) for n in range(70, 75)]]
        assert len(set(tokens)) == 5
        failed = await asyncio.gather(
            batch.token_for(_aic(80)), batch.token_for("bad"), return_exceptions=True
        )
        assert [type(f) for f in failed] == [type(failed[1])] * 2
        assert isinstance(failed[1], AipError)
        assert failed[1].code == Code.AIC_MALFORMED
        assert await batch.token_for(_aic(81))
