"""The in-band session handshake (spec/07-sessions.md): proofs, the server table, the client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aip.errors import Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.identity.revocation import verify_crl
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import Role, SessionContext, encode_challenge, make_proof, verify_proof
from aip.sessions.replay import ReplayCache
from aip.sessions.server import (
    TABLE,
    Close,
    Input,
    Pass,
    Refuse,
    Reply,
    ServerConfig,
    ServerHandshake,
    State,
)
from tests.helpers import code_of
from tests.pki_helpers import AGENT_KEY, AIC, NOW, days, make_ca

NODE_AIC = "1.2.156.3088.1.1.1.1.1.06QN"
NODE_KEY = SigningKey(b"\x55" * 32)
URL = "ws://127.0.0.1:8765"
CA = make_ca()
INTER_PEM = certificate_pem(CA.intermediate_certificate).decode()
NODE_CERT = CA.issue(NODE_AIC, NODE_KEY.verify_key, Usage.SERVER, NOW, 50)
CLIENT_CERT = CA.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, NOW, 60)
SERVER_CHAIN = [certificate_pem(NODE_CERT).decode(), INTER_PEM]
CLIENT_CHAIN = [certificate_pem(CLIENT_CERT).decode(), INTER_PEM]
ROOTS = [CA.root_certificate]
T = NOW + days(1)
C1, C2 = b"\x01" * 32, b"\x02" * 32


def config(**kw: Any) -> ServerConfig:
    base: dict[str, Any] = {
        "aic": NODE_AIC,
        "key": NODE_KEY,
        "certificates": SERVER_CHAIN,
        "trust_roots": ROOTS,
        "audiences": frozenset({URL}),
    }
    return ServerConfig(**{**base, **kw})


def server(**kw: Any) -> ServerHandshake:
    return ServerHandshake(config(**kw), T, ReplayCache(timedelta(minutes=10)))


def client(**kw: Any) -> ClientHandshake:
    base: dict[str, Any] = {
        "aic": AIC,
        "key": AGENT_KEY,
        "certificates": CLIENT_CHAIN,
        "trust_roots": ROOTS,
        "audience": URL,
        "expected_server_aic": NODE_AIC,
    }
    return ClientHandshake(**{**base, **kw})


def reply_of(effects: list[Any]) -> dict[str, Any]:
    assert len(effects) == 1
    assert isinstance(effects[0], Reply), effects
    return effects[0].result


def refusal(effects: list[Any]) -> Code:
    assert isinstance(effects[0], Refuse), effects
    return effects[0].error.code


def handshake(srv: ServerHandshake, cli: ClientHandshake) -> str:
    hello = reply_of(srv.handle(Input.HELLO, T, params=cli.hello(C1), challenge=C2))
    proof = cli.on_hello(hello, T)
    done = reply_of(srv.handle(Input.AUTHENTICATE, T, params=proof))
    return cli.on_authenticated(done)


def test_mutual_handshake() -> None:  # [SES-HSK-001..003]
    srv, cli = server(), client()
    assert handshake(srv, cli) == AIC
    assert srv.state is State.AUTHENTICATED
    assert srv.session_aic == AIC
    assert cli.server is not None
    assert cli.server.aic == NODE_AIC
    assert srv.handle(Input.CALL, T, method="aip.rpc") == [Pass()]


def test_calls_before_authentication() -> None:  # [ARC-AUTH-001]
    srv = server()
    assert srv.handle(Input.CALL, T, method="node.info") == [Pass()]
    assert refusal(srv.handle(Input.CALL, T, method="aip.rpc")) is Code.AUTHENTICATION_REQUIRED
    assert srv.state is State.AWAIT_HELLO


def _after_hello() -> tuple[ServerHandshake, ClientHandshake, dict[str, Any]]:
    srv, cli = server(), client()
    hello = reply_of(srv.handle(Input.HELLO, T, params=cli.hello(C1), challenge=C2))
    return srv, cli, cli.on_hello(hello, T)


def _fails(srv: ServerHandshake, params: Any, code: Code, now: Any = T) -> None:
    effects = srv.handle(Input.AUTHENTICATE, now, params=params)
    assert refusal(effects) is code
    assert effects[1] == Close(1008, code)
    assert srv.state is State.CLOSED


def test_forged_client_proofs_are_refused() -> None:  # [SES-PRF-003..006]
    other_key = SigningKey(b"\x66" * 32)
    cases: list[tuple[Any, Code]] = []
    _, _, good = _after_hello()
    context = SessionContext(
        URL, good["proof"]["clientChallenge"], good["proof"]["serverChallenge"]
    )
    # signed by another key than the certificate's
    cases.append(
        ({**good, "proof": make_proof(Role.CLIENT, AIC, context, T, other_key)}, Code.KEY_UNKNOWN)
    )
    # a claim to another AIC than the certificate's
    cases.append(
        (
            {**good, "proof": make_proof(Role.CLIENT, NODE_AIC, context, T, AGENT_KEY)},
            Code.PEER_AIC_MISMATCH,
        )
    )
    # another server's audience, another challenge, a clock far off
    for ctx, code in (
        (
            SessionContext(
                "ws://evil.example:1", context.client_challenge, context.server_challenge
            ),
            Code.AUDIENCE_MISMATCH,
        ),
        (
            SessionContext(URL, context.client_challenge, encode_challenge(b"\x09" * 32)),
            Code.CHALLENGE_MISMATCH,
        ),
    ):
        cases.append(({**good, "proof": make_proof(Role.CLIENT, AIC, ctx, T, AGENT_KEY)}, code))
    late = make_proof(Role.CLIENT, AIC, context, T + timedelta(minutes=3), AGENT_KEY)
    cases.append(({**good, "proof": late}, Code.CLOCK_SKEW))
    # the server's own proof replayed as a client proof; a serverAuth certificate as client
    cases.append(
        ({**good, "proof": {**good["proof"], "type": str(Role.SERVER)}}, Code.PROOF_MALFORMED)
    )
    cases.append(({**good, "certificates": SERVER_CHAIN}, Code.CERTIFICATE_WRONG_USAGE))
    foreign = make_ca(other=True)
    alien = foreign.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, NOW, 60)
    cases.append(
        (
            {
                **good,
                "certificates": [
                    certificate_pem(alien).decode(),
                    certificate_pem(foreign.intermediate_certificate).decode(),
                ],
            },
            Code.CERTIFICATE_CHAIN_INVALID,
        )
    )
    tampered = {**good["proof"], "time": good["proof"]["time"].replace("10:00:00", "10:00:01")}
    cases.append(({**good, "proof": tampered}, Code.SIGNATURE_INVALID))
    cases.append(({"proof": good["proof"]}, Code.PROOF_MALFORMED))
    cases.append(({**good, "certificates": []}, Code.PROOF_MALFORMED))
    for params, code in cases:
        fresh, _, _ = _after_hello()
        _fails(fresh, params, code)


def test_expired_and_revoked_certificates() -> None:  # [SES-PRF-003]
    late = NOW + days(50)
    srv = ServerHandshake(config(), late, ReplayCache(timedelta(minutes=10)))
    cli = client()
    hello = reply_of(srv.handle(Input.HELLO, late, params=cli.hello(C1), challenge=C2))
    # the server's own certificate has expired: the client refuses it and sends nothing more
    assert code_of(cli.on_hello, hello, late) is Code.CERTIFICATE_EXPIRED
    # a client certificate that expired yesterday
    ca = make_ca()
    node = ca.issue(NODE_AIC, NODE_KEY.verify_key, Usage.SERVER, NOW, 50)
    short = ca.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, NOW, 61, validity_days=1)
    inter = certificate_pem(ca.intermediate_certificate).decode()
    when = NOW + days(2)
    srv2 = ServerHandshake(
        config(certificates=[certificate_pem(node).decode(), inter]),
        when,
        ReplayCache(timedelta(minutes=10)),
    )
    cli2 = client(certificates=[certificate_pem(short).decode(), inter])
    hello2 = reply_of(srv2.handle(Input.HELLO, when, params=cli2.hello(C1), challenge=C2))
    _fails(srv2, cli2.on_hello(hello2, when), Code.CERTIFICATE_EXPIRED, when)
    # a revoked client certificate, with the issuer's current revocation list configured
    revoked = ca.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, NOW, 62)
    ca.revoke(revoked, 1, NOW)
    crl = verify_crl(ca.revocation_list(T), ca.intermediate_certificate, T)
    srv3 = ServerHandshake(
        config(certificates=[certificate_pem(node).decode(), inter], revocation=crl),
        T,
        ReplayCache(timedelta(minutes=10)),
    )
    cli3 = client(certificates=[certificate_pem(revoked).decode(), inter])
    hello3 = reply_of(srv3.handle(Input.HELLO, T, params=cli3.hello(C1), challenge=C2))
    _fails(srv3, cli3.on_hello(hello3, T), Code.CERTIFICATE_REVOKED)


def test_challenge_is_single_use_across_connections() -> None:  # [SES-HSK-005]
    cache = ReplayCache(timedelta(minutes=10))
    first = ServerHandshake(config(), T, cache)
    second = ServerHandshake(config(), T, cache)
    cli1, cli2 = client(), client()
    for srv, cli in ((first, cli1), (second, cli2)):  # the same server challenge twice
        hello = reply_of(srv.handle(Input.HELLO, T, params=cli.hello(C1), challenge=C2))
        proof = cli.on_hello(hello, T)
        effects = srv.handle(Input.AUTHENTICATE, T, params=proof)
    assert first.state is State.AUTHENTICATED
    assert refusal(effects) is Code.CHALLENGE_REPLAYED


def test_hello_errors_close() -> None:  # [SES-HSK-001] [SES-HSK-003]
    cli = client()
    good = cli.hello(C1)
    for params, code in (
        ({**good, "audience": "ws://elsewhere:1"}, Code.AUDIENCE_MISMATCH),
        ({**good, "protocolVersion": "9.9"}, Code.PROOF_MALFORMED),
        ({**good, "clientChallenge": "short"}, Code.PROOF_MALFORMED),
        ({**good, "extra": 1}, Code.PROOF_MALFORMED),
        ([good], Code.PROOF_MALFORMED),
    ):
        srv = server()
        effects = srv.handle(Input.HELLO, T, params=params, challenge=C2)
        assert refusal(effects) is code
        assert srv.state is State.CLOSED


def test_client_refuses_the_wrong_server() -> None:  # [ARC-AUTH-002]
    srv, cli = server(), client(expected_server_aic=AIC)
    hello = reply_of(srv.handle(Input.HELLO, T, params=cli.hello(C1), challenge=C2))
    assert code_of(cli.on_hello, hello, T) is Code.PEER_AIC_MISMATCH
    cli2 = client(audience="ws://127.0.0.1:9999")
    srv2 = server(audiences=frozenset({URL, "ws://127.0.0.1:9999"}))
    hello2 = reply_of(srv2.handle(Input.HELLO, T, params=cli2.hello(C1), challenge=C2))
    hello2["proof"] = {**hello2["proof"], "audience": URL}  # a proof made for another URL
    assert code_of(cli2.on_hello, hello2, T) is Code.AUDIENCE_MISMATCH
    cli3 = client()
    cli3.hello(C1)
    assert code_of(cli3.on_hello, {"serverChallenge": "x"}, T) is Code.PROOF_MALFORMED


def test_client_order_is_enforced() -> None:
    cli = client()
    assert code_of(cli.on_hello, {}, T) is Code.HANDSHAKE_OUT_OF_ORDER
    assert code_of(cli.on_authenticated, {}) is Code.HANDSHAKE_OUT_OF_ORDER
    cli.hello(C1)
    assert code_of(cli.hello, C1) is Code.HANDSHAKE_OUT_OF_ORDER


def test_server_binds_the_session_for_good() -> None:  # [ARC-AUTH-003]
    srv, cli = server(), client()
    handshake(srv, cli)
    other = {"proof": {"aic": NODE_AIC}, "certificates": []}
    assert refusal(srv.handle(Input.AUTHENTICATE, T, params=other)) is Code.AUTHORIZATION_FAILED
    assert refusal(srv.handle(Input.HELLO, T, params={})) is Code.HANDSHAKE_OUT_OF_ORDER
    assert srv.state is State.AUTHENTICATED
    assert srv.session_aic == AIC
    cli2 = client()
    assert code_of(cli2.on_authenticated, {"sessionAic": AIC}) is Code.HANDSHAKE_OUT_OF_ORDER


def test_timeouts_and_expiry() -> None:  # [SES-HSK-004] [SES-HSK-007]
    srv = server()
    assert srv.handle(Input.TICK, T + timedelta(seconds=9)) == []
    assert srv.handle(Input.TICK, T + timedelta(seconds=10)) == [
        Close(1008, Code.HANDSHAKE_TIMEOUT)
    ]
    assert srv.handle(Input.AUTHENTICATE, T, params={}) == []  # closed: nothing more happens
    live, cli = server(), client()
    handshake(live, cli)
    assert live.handle(Input.TICK, NOW + days(49)) == []
    assert live.handle(Input.TICK, NOW + days(49) + timedelta(seconds=1)) == [
        Close(1008, Code.SESSION_EXPIRED)
    ]


def test_table_is_total() -> None:  # [SES-HSK-006]
    assert set(TABLE) == {(s, i) for s in State for i in Input}


JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(
        st.sampled_from(
            ["proof", "certificates", "audience", "clientChallenge", "protocolVersion", "x"]
        ),
        st.one_of(
            st.none(),
            st.text(max_size=5),
            st.integers(),
            st.lists(st.text(max_size=3), max_size=2),  # unhashable where a str is expected
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            st.just("ws://127.0.0.1:8765"),
            st.just("0.1"),
        ),
        max_size=5,
    ),
)


@given(st.lists(st.tuples(st.sampled_from(list(Input)), JUNK, st.integers(0, 30)), max_size=8))
def test_any_sequence_of_inputs_never_raises(steps: list[tuple[Input, Any, int]]) -> None:
    # [SES-HSK-006] every pair is handled; peer input never raises; CLOSED is final
    srv = server()
    closed = False
    for kind, params, seconds in steps:
        effects = srv.handle(
            kind, T + timedelta(seconds=seconds), method="x.y", params=params, challenge=C2
        )
        for effect in effects:
            assert isinstance(effect, Reply | Refuse | Pass | Close)
        if closed:
            assert effects == []
        closed = srv.state is State.CLOSED
        assert srv.state is not State.AUTHENTICATED  # junk never authenticates


def test_verify_proof_accepts_the_server_proof_directly() -> None:
    ctx = SessionContext(URL, encode_challenge(C1), encode_challenge(C2))
    proof = make_proof(Role.SERVER, NODE_AIC, ctx, T, NODE_KEY)
    agent = verify_proof(
        proof,
        SERVER_CHAIN,
        role=Role.SERVER,
        context=ctx,
        trust_roots=ROOTS,
        now=T + timedelta(seconds=120),
    )
    assert agent.aic == NODE_AIC
    assert (
        code_of(
            verify_proof,
            proof,
            SERVER_CHAIN,
            role=Role.SERVER,
            context=ctx,
            trust_roots=ROOTS,
            now=T + timedelta(seconds=121),
        )
        is Code.CLOCK_SKEW
    )
    assert code_of(encode_challenge, b"\x00" * 31) is Code.PROOF_MALFORMED


def test_replay_cache_forgets_after_its_lifetime() -> None:
    cache = ReplayCache(timedelta(seconds=60))
    assert cache.use("k", T)
    assert not cache.use("k", T + timedelta(seconds=59))
    assert cache.use("k", T + timedelta(seconds=61))
    assert cache.purge(T + timedelta(seconds=200)) == 1
    assert len(cache) == 0
    with pytest.raises(ValueError, match="positive"):
        ReplayCache(timedelta(0))


def test_version_must_be_the_integer_one() -> None:  # [SES-PRF-001]
    _, _, good = _after_hello()
    for version in (True, 1.0, "1", 2):
        fresh, _, _ = _after_hello()
        _fails(
            fresh, {**good, "proof": {**good["proof"], "version": version}}, Code.PROOF_MALFORMED
        )
