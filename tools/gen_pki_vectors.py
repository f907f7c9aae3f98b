"""Regenerate spec/vectors/identity/pki-*.json: ``.venv/bin/python tools/gen_pki_vectors.py``.

Invalid cases: the code is assigned here by hand from the spec, and the op must raise exactly it.
Valid cases: aic/usage/not_after/key/serial are computed here independently (datetime arithmetic,
cryptography's Ed25519 directly); hashes are taken from the op after checking two runs agree.
"""

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aip.errors import AipError
from conformance.ops.pki import OPERATIONS

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "identity"
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
OTHER_AIC = "1.2.156.3088.1.1.34C2.478BDF.1.0000"
ONTOLOGY = "1.2.156.3088.1.1.34C2.478BDF.0.0LIV"
ROOT, INTER, AGENT, NEW = "11" * 32, "22" * 32, "33" * 32, "44" * 32
T0 = "2026-11-21T10:00:00Z"
BASE = {
    "domain": "example.org",
    "root_seed_hex": ROOT,
    "intermediate_seed_hex": INTER,
    "root_serial": 1,
    "intermediate_serial": 2,
    "ca_time": T0,
}


def t(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def z(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plus(text, **kw):
    return z(t(text) + timedelta(**kw))


def pub(seed_hex):
    k = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def run(op, inp):
    return OPERATIONS[op](json.loads(json.dumps(inp)))


def finish(area, op, description, cases, fname):
    out = []
    for c in sorted(cases, key=lambda c: c["id"]):
        case_op = c.get("operation", op)
        inp = c["input"]
        if c["verdict"] == "valid":
            got = run(case_op, inp)
            again = run(case_op, inp)
            assert got == again, c["id"]
            exp = dict(c.get("expected", {}))
            for key in c.pop("take", []):
                exp[key] = got[key]
            if "trust_bundle_sha256" in exp:
                assert exp["trust_bundle_sha256"] == [exp["root_sha256"]]
            for key, want in exp.items():
                assert got[key] == want, (c["id"], key, got[key], want)
            c["expected"] = exp
        else:
            try:
                got = run(case_op, inp)
            except AipError as exc:
                assert int(exc.code) == c["error"], (c["id"], exc.code, exc)
            else:
                raise AssertionError(f"{c['id']} succeeded: {got}")
        order = ["id", "operation", "requirements", "verdict", "input", "expected", "error",
                 "comment"]
        out.append({k: c[k] for k in order if k in c})
    doc = {"format": "aip-vectors/1", "area": area, "operation": op,
           "description": description, "cases": out}
    (OUT / fname).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    n_inv = sum(c["verdict"] == "invalid" for c in out)
    print(fname, len(out), "valid", len(out) - n_inv, "invalid", n_inv)
    return out


# ---------------------------------------------------------------------------------------------
LEAF = {**BASE, "aic": AIC, "usage": "clientAuth", "agent_seed_hex": AGENT, "serial": 10,
        "now": plus(T0, days=1)}
NA = plus(T0, days=49)  # 2027-01-09T10:00:00Z
PROFILE = ["IDN-CRT-001", "IDN-CRT-002", "IDN-CRT-003", "IDN-CRT-005", "IDN-CRT-006",
           "IDN-CRT-007", "IDN-CRT-008", "IDN-CRT-009"]


def ok(cid, reqs, comment, expected=None, take=("leaf_sha256",), **inp):
    data = {**LEAF, **inp}
    exp = {"aic": AIC, "usage": data["usage"], "not_after": NA, "key_hex": pub(AGENT),
           "serial_hex": format(data.get("serial") or 0, "x"), "dns": [], "ips": []}
    exp.update(expected or {})
    return {"id": cid, "requirements": reqs, "verdict": "valid", "input": data,
            "expected": exp, "take": list(take), "comment": comment}


def bad(cid, reqs, code, comment, **inp):
    return {"id": cid, "requirements": reqs, "verdict": "invalid", "input": {**LEAF, **inp},
            "error": code, "comment": comment}


crt = [
    ok("pki-crt-001", [*PROFILE, "IDN-CRT-010", "IDN-CRT-012", "IDN-CRT-013", "IDN-CA-002",
                       "IDN-CA-005", "IDN-CA-006"],
       "a clientAuth certificate issued by the CA with the defaults (49 days) validates one day "
       "later; the trust bundle is the root alone",
       take=("leaf_sha256", "root_sha256", "intermediate_sha256", "trust_bundle_sha256")),
    ok("pki-crt-002", [*PROFILE, "IDN-CRT-010", "IDN-CRT-012", "IDN-CRT-015"],
       "the serverAuth certificate of the same agent (own serial) validates for the server role",
       usage="serverAuth", serial=11),
    ok("pki-crt-003", ["IDN-CRT-004", "IDN-CRT-012"],
       "DNS and IP alternative names: the DNS name is written in lower case, the IPv6 address compressed",
       expected={"dns": ["agent.example.org", "node-1.example.org"],
                 "ips": ["192.0.2.10", "2001:db8::1"]},
       dns=["Agent.Example.org", "node-1.example.org"], ips=["192.0.2.10", "2001:db8:0::1"]),
    ok("pki-crt-004", ["IDN-CRT-014"], "now equal to notBefore is inside the validity period",
       now=T0),
    ok("pki-crt-005", ["IDN-CRT-014"], "now equal to notAfter is inside the validity period",
       now=NA),
    ok("pki-crt-006", ["IDN-CRT-009"], "the largest serial number: 2^159-1 (20 DER octets)",
       expected={"serial_hex": "7" + "f" * 39}, serial=None, serial_hex="7" + "f" * 39),
    ok("pki-crt-007", ["IDN-CRT-011", "IDN-CA-007"],
       "the CA maximum, 1825 days, ending exactly at the intermediate's notAfter",
       expected={"not_after": plus(T0, days=1825)}, validity_days=1825),
    ok("pki-crt-008", ["IDN-CRT-010", "IDN-CRT-011"], "a one-day certificate",
       expected={"not_after": plus(T0, days=1)}, validity_days=1, now=plus(T0, hours=23)),
    ok("pki-crt-009", ["IDN-CRT-002"], "an ontology AIC (entity serial 0) may hold a certificate",
       expected={"aic": ONTOLOGY}, aic=ONTOLOGY),
    ok("pki-crt-010", ["IDN-CRT-002", "IDN-CRT-012"],
       "the CA canonicalises a lower-case AIC request; the certificate equals pki-crt-001 byte for byte",
       aic=AIC.lower()),
    ok("pki-crt-011", ["IDN-CRT-012"],
       "a certificate built by hand from the reference encoding (§6.1.1) equals the CA's (pki-crt-001)",
       mutations=["raw_leaf"]),
    ok("pki-crt-012", ["IDN-REV-006", "IDN-REV-008"],
       "a fresh revocation list of the issuer that lists another serial: the leaf is good",
       crl_time=plus(T0, hours=1), revoke_other_serial=99, now=plus(T0, hours=2)),
    ok("pki-crt-013", ["IDN-REV-007", "IDN-REV-008"],
       "now equal to the list's nextUpdate: the list is still fresh",
       crl_time=plus(T0, hours=1), revoke_other_serial=99, now=plus(T0, hours=25)),
    bad("pki-crt-020", ["IDN-CRT-005"], -33502, "both clientAuth and serverAuth in one certificate",
        mutations=["both_ekus"]),
    bad("pki-crt-021", ["IDN-CRT-005"], -33502, "no extendedKeyUsage at all", mutations=["no_eku"]),
    bad("pki-crt-022", ["IDN-CRT-005"], -33502, "clientAuth plus codeSigning",
        mutations=["extra_eku"]),
    bad("pki-crt-023", ["IDN-CRT-002"], -33502, "the CN is a host name, not an AIC",
        mutations=["cn_not_aic"]),
    bad("pki-crt-024", ["IDN-CRT-002"], -33502,
        "the CN is the AIC in lower case: valid AIC, but not canonical", mutations=["cn_lowercase"]),
    bad("pki-crt-025", ["IDN-CRT-003"], -33502, "the acps URI names another AIC than the CN",
        mutations=["san_mismatch"]),
    bad("pki-crt-026", ["IDN-CRT-003"], -33502, "subjectAltName without the acps URI",
        mutations=["no_acps_uri"], dns=["agent.example.org"]),
    bad("pki-crt-027", ["IDN-CRT-003"], -33502, "the acps URI twice", mutations=["two_acps_uris"]),
    bad("pki-crt-028", ["IDN-CRT-004"], -33502, "an rfc822Name in subjectAltName",
        mutations=["san_email"]),
    bad("pki-crt-029", ["IDN-CRT-006"], -33502, "an agent certificate with cA true",
        mutations=["leaf_ca_true"]),
    bad("pki-crt-030", ["IDN-CRT-006"], -33502, "no keyUsage", mutations=["no_key_usage"]),
    bad("pki-crt-031", ["IDN-CRT-006"], -33502, "keyUsage not marked critical",
        mutations=["ku_not_critical"]),
    bad("pki-crt-032", ["IDN-CRT-006"], -33502, "keyUsage asserts keyCertSign",
        mutations=["leaf_keycertsign"]),
    bad("pki-crt-033", ["IDN-CRT-008"], -33502, "no authorityKeyIdentifier", mutations=["no_aki"]),
    bad("pki-crt-034", ["IDN-CRT-007"], -33502,
        "a P-256 subject key (signed by the Ed25519 intermediate)", mutations=["leaf_key_p256"]),
    bad("pki-crt-035", ["IDN-CRT-001"], -33501, "the leaf DER with its last 10 bytes cut",
        mutations=["truncated"]),
    bad("pki-crt-036", ["IDN-CRT-015"], -33507,
        "a clientAuth certificate presented for the server role", validate_usage="serverAuth"),
    bad("pki-crt-037", ["IDN-CRT-015"], -33507,
        "a serverAuth certificate presented for the client role", usage="serverAuth",
        validate_usage="clientAuth"),
    bad("pki-crt-038", ["IDN-CA-006"], -33503,
        "one bit of the leaf signature flipped: the Ed25519 signature fails",
        mutations=["tampered_signature"]),
    bad("pki-crt-068", ["IDN-CA-006"], -33503,
        "the signature BIT STRING claims one unused bit: same 64 bytes, but not the signed encoding",
        mutations=["signature_unused_bits"]),
    bad("pki-crt-039", ["IDN-CA-005"], -33503,
        "validated against another CA's root with the same names", mutations=["wrong_root"]),
    bad("pki-crt-040", ["IDN-CA-005"], -33503, "the intermediate is not presented",
        mutations=["missing_intermediate"]),
    bad("pki-crt-041", ["IDN-CA-004", "IDN-CA-005"], -33503,
        "a leaf signed directly by the root", mutations=["leaf_by_root"]),
    bad("pki-crt-042", ["IDN-CA-005"], -33503,
        "a leaf signed by the root, with the root also sent as the intermediate",
        mutations=["leaf_by_root", "root_as_intermediate"]),
    bad("pki-crt-043", ["IDN-CA-003", "IDN-CA-005"], -33503,
        "the intermediate (same key and name) has cA false", mutations=["intermediate_not_ca"]),
    bad("pki-crt-044", ["IDN-CA-003", "IDN-CA-005"], -33503,
        "the intermediate has no pathLenConstraint (must be 0)",
        mutations=["intermediate_pathlen_absent"]),
    bad("pki-crt-045", ["IDN-CA-003", "IDN-CA-005"], -33503,
        "the trusted root (same key and name) has pathLenConstraint 0", mutations=["root_pathlen_0"]),
    bad("pki-crt-046", ["IDN-CA-005"], -33503,
        "the leaf's authorityKeyIdentifier does not match the intermediate's key id",
        mutations=["aki_mismatch"]),
    bad("pki-crt-047", ["IDN-CRT-014"], -33504, "one second after notAfter", now=plus(NA, seconds=1)),
    bad("pki-crt-048", ["IDN-CRT-014"], -33505, "one second before notBefore",
        now=plus(T0, seconds=-1)),
    bad("pki-crt-049", ["IDN-CRT-013", "IDN-CRT-014"], -33504,
        "the leaf is valid but the intermediate (10 days) has expired",
        mutations=["intermediate_expired"], now=plus(T0, days=11)),
    bad("pki-crt-050", ["IDN-REV-008"], -33506, "the leaf is on a fresh list (keyCompromise)",
        crl_time=plus(T0, hours=1), revoke_reason=1, now=plus(T0, hours=2)),
    bad("pki-crt-051", ["IDN-REV-005", "IDN-REV-008"], -33506,
        "revoked with reason unspecified (no reasonCode in the entry)",
        crl_time=plus(T0, hours=1), revoke_reason=0, now=plus(T0, hours=2)),
    bad("pki-crt-052", ["IDN-REV-008"], -33508,
        "a valid list of another CA's intermediate (same names, other key)",
        crl_time=plus(T0, hours=1), crl_from_other_ca=True, now=plus(T0, hours=2)),
    bad("pki-crt-053", ["IDN-REV-007"], -33508, "one second past the list's nextUpdate",
        crl_time=plus(T0, hours=1), revoke_other_serial=99, now=plus(T0, hours=25, seconds=1)),
    bad("pki-crt-054", ["IDN-CRT-013"], -33507,
        "wrong usage and a wrong root: the usage check comes first",
        validate_usage="serverAuth", mutations=["wrong_root"]),
    bad("pki-crt-055", ["IDN-CRT-013"], -33502,
        "a profile error and an expired leaf: the profile check comes first",
        mutations=["both_ekus"], now=plus(NA, days=1)),
    bad("pki-crt-056", ["IDN-CRT-013"], -33503,
        "a wrong root and an expired leaf: the path check comes first",
        mutations=["wrong_root"], now=plus(NA, days=1)),
    bad("pki-crt-057", ["IDN-CRT-013"], -33504,
        "an expired leaf on a fresh list: the validity check comes first",
        crl_time=plus(NA, hours=-1), revoke_reason=1, now=plus(NA, seconds=1)),
    bad("pki-crt-058", ["IDN-CRT-011"], -33608, "a lifetime of 0 days", validity_days=0),
    bad("pki-crt-059", ["IDN-CRT-011"], -33608, "one day over the CA maximum", validity_days=1826),
    bad("pki-crt-060", ["IDN-CA-007"], -33608,
        "49 days requested from an intermediate that lives 30", intermediate_validity_days=30),
    bad("pki-crt-061", ["IDN-CRT-004"], -33502, "a wildcard DNS name is refused",
        dns=["*.example.org"]),
    bad("pki-crt-062", ["IDN-CRT-004"], -33502, "not an IP address", ips=["300.1.1.1"]),
    bad("pki-crt-063", ["IDN-CRT-002"], -33301, "the requested AIC is malformed (nine levels)",
        aic="1.2.156.3088.1.1.34C2.478BDF.3GF546"),
    bad("pki-crt-064", ["IDN-CA-008"], -33401, "the agent asks to certify the intermediate's key",
        mutations=["agent_key_is_intermediate"]),
    bad("pki-crt-065", ["IDN-CA-007"], -33608, "an intermediate meant to outlive its root",
        root_validity_days=100, intermediate_validity_days=200),
    bad("pki-crt-066", ["IDN-CA-001"], -33401, "root and intermediate with the same key",
        intermediate_seed_hex=ROOT),
    bad("pki-crt-067", ["IDN-CRT-009"], -33611, "serial number 0 is refused by the CA", serial=0),
]
for c in crt:
    if c["input"].get("serial") is None:
        c["input"].pop("serial", None)
finish("identity.pki", "pki.issue_and_validate",
       "Agent certificate profile, chain validation, validity windows and revocation status "
       "(Part 6 §6.1-6.3, §6.7). Seeds, serials and times fix every byte: Ed25519 is deterministic.",
       crt, "pki-certificates.json")

# ---------------------------------------------------------------------------------------------
SECRET = bytes(range(32)).hex()
ISSUED = plus(T0, hours=1)
ENR = {**BASE, "token_aic": AIC, "token_secret_hex": SECRET, "token_issued_at": ISSUED,
       "agent_seed_hex": AGENT, "now": plus(T0, hours=2), "usages": ["clientAuth", "serverAuth"],
       "serials": [100, 101]}
TOKEN = "aipt1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
TOKEN_ID = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"


def eok(cid, reqs, comment, expected=None, **inp):
    data = {**ENR, **inp}
    exp = {"token": TOKEN, "token_id": TOKEN_ID, "aic": AIC, "usages": ["clientAuth", "serverAuth"],
           "serials": data["serials"], "not_after": plus(data["now"], days=49)}
    exp.update(expected or {})
    return {"id": cid, "requirements": reqs, "verdict": "valid", "input": data, "expected": exp,
            "take": ["leaf_sha256"], "comment": comment}


def ebad(cid, reqs, code, comment, **inp):
    return {"id": cid, "requirements": reqs, "verdict": "invalid", "input": {**ENR, **inp},
            "error": code, "comment": comment}


def b64(b):
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


assert "aipt1." + b64(bytes(range(32))) == TOKEN
import hashlib

assert hashlib.sha256(bytes(range(32))).hexdigest() == TOKEN_ID

enr = [
    eok("pki-enr-001", ["IDN-ENR-001", "IDN-ENR-002", "IDN-ENR-005", "IDN-ENR-007"],
        "one redemption yields the clientAuth and the serverAuth certificate over the CSR key"),
    eok("pki-enr-002", ["IDN-ENR-007"], "clientAuth only", expected={"usages": ["clientAuth"]},
        usages=["clientAuth"], serials=[100]),
    eok("pki-enr-003", ["IDN-ENR-007"], "serverAuth only", expected={"usages": ["serverAuth"]},
        usages=["serverAuth"], serials=[101]),
    eok("pki-enr-004", ["IDN-ENR-007"],
        "usages requested in the other order: serials still pair with (clientAuth, serverAuth)",
        usages=["serverAuth", "clientAuth"]),
    eok("pki-enr-005", ["IDN-ENR-003"], "one second before the 24 h lifetime ends",
        now=plus(ISSUED, hours=24, seconds=-1)),
    eok("pki-enr-006", ["IDN-ENR-006"],
        "an earlier attempt with a bad CSR signature failed and did not consume the token",
        earlier=[{"csr_mutation": "bad_signature"}]),
    eok("pki-enr-007", ["IDN-ENR-006"],
        "an earlier attempt with a serial count mismatch failed and did not consume the token",
        earlier=[{"serials": [100]}]),
    eok("pki-enr-008", ["IDN-ENR-005"], "a lower-case CN in the CSR is normalised as an AIC",
        csr_cn=AIC.lower(), csr_mutation="raw_cn"),
    eok("pki-enr-009", ["IDN-ENR-003"], "a one-hour token one second before it ends",
        token_ttl_seconds=3600, now=plus(ISSUED, seconds=3599)),
    eok("pki-enr-010", ["IDN-ENR-006", "IDN-ENR-011"],
        "the same request again (an answer lost on the way): the certificates issued the first "
        "time, not new ones", expected={"serials": [100, 101]},
        earlier=[{"serials": [100, 101]}], serials=[102, 103]),
    ebad("pki-enr-045", ["IDN-ENR-011"], -33603,
         "the same CSR asking for other usages is another request",
         earlier=[{"usages": ["clientAuth"], "serials": [100]}], serials=[102, 103]),
    ebad("pki-enr-020", ["IDN-ENR-001"], -33601, "a well-formed token the CA never issued",
         token_text="aipt1." + b64(bytes(range(1, 33)))),
    ebad("pki-enr-021", ["IDN-ENR-001"], -33601, "not base64url",
         token_text="aipt1.not base64!"),
    ebad("pki-enr-022", ["IDN-ENR-001"], -33601, "the right secret behind the wrong prefix",
         token_text="aipt2." + b64(bytes(range(32)))),
    ebad("pki-enr-023", ["IDN-ENR-001"], -33601, "padded base64 is not the canonical text",
         token_text=TOKEN + "="),
    ebad("pki-enr-024", ["IDN-ENR-001"], -33601, "a 15-byte secret is too short",
         token_text="aipt1." + b64(bytes(15))),
    ebad("pki-enr-025", ["IDN-ENR-003"], -33602, "exactly 24 h after issue: expired",
         now=plus(ISSUED, hours=24)),
    ebad("pki-enr-026", ["IDN-ENR-003"], -33602, "a week after issue", now=plus(ISSUED, days=7)),
    ebad("pki-enr-027", ["IDN-ENR-003"], -33602, "a one-hour token at exactly one hour",
         token_ttl_seconds=3600, now=plus(ISSUED, seconds=3600)),
    ebad("pki-enr-028", ["IDN-ENR-006"], -33603,
         "the token was already redeemed, over another key",
         earlier=[{"agent_seed_hex": NEW}], serials=[102, 103]),
    ebad("pki-enr-029", ["IDN-ENR-004"], -33602,
         "used and then expired: expiry is checked before use",
         earlier=[{}], serials=[102, 103], now=plus(ISSUED, days=2)),
    ebad("pki-enr-030", ["IDN-ENR-005"], -33604, "the CSR names another AIC", csr_cn=OTHER_AIC),
    ebad("pki-enr-031", ["IDN-ENR-005"], -33604, "the CSR CN is not an AIC",
         csr_cn="agent.example.org", csr_mutation="raw_cn"),
    ebad("pki-enr-032", ["IDN-ENR-005"], -33604, "the CSR subject has no CN",
         csr_mutation="no_cn"),
    ebad("pki-enr-033", ["IDN-ENR-005"], -33605, "the CSR subject has two CNs",
         csr_mutation="two_cns"),
    ebad("pki-enr-034", ["IDN-ENR-005"], -33605,
         "one bit of the CSR signature flipped: no proof of possession",
         csr_mutation="bad_signature"),
    ebad("pki-enr-035", ["IDN-ENR-005"], -33605, "a P-256 CSR", csr_mutation="p256"),
    ebad("pki-enr-036", ["IDN-ENR-005"], -33605, "not a CSR", csr_mutation="garbage"),
    ebad("pki-enr-037", ["IDN-ENR-007"], -32602, "no usage requested", usages=[], serials=[]),
    ebad("pki-enr-038", ["IDN-ENR-007"], -32602, "clientAuth twice",
         usages=["clientAuth", "clientAuth"]),
    ebad("pki-enr-039", ["IDN-ENR-007"], -33611, "two usages, one serial", serials=[100]),
    ebad("pki-enr-040", ["IDN-ENR-004"], -33601, "unknown token and a bad CSR: the token first",
         token_text="aipt1." + b64(bytes(range(1, 33))), csr_mutation="bad_signature"),
    ebad("pki-enr-041", ["IDN-ENR-004"], -33602, "expired token and a bad CSR: expiry first",
         now=plus(ISSUED, hours=25), csr_mutation="garbage"),
    ebad("pki-enr-042", ["IDN-ENR-004"], -33603, "used token and a CSR for another AIC",
         earlier=[{"csr_cn": AIC}], serials=[102, 103], csr_cn=OTHER_AIC),
    ebad("pki-enr-043", ["IDN-ENR-004"], -33605,
         "a bad CSR signature over another AIC: the CSR check comes first",
         csr_cn=OTHER_AIC, csr_mutation="bad_signature"),
    ebad("pki-enr-044", ["IDN-ENR-004"], -32602, "bad usages and an unknown token: usages first",
         usages=[], serials=[], token_text="aipt1.x"),
]
finish("identity.pki", "pki.enroll",
       "Enrollment tokens and CSR proof of possession (Part 6 §6.4). The token secret is the "
       "32 bytes 00..1f.", enr, "pki-enroll.json")

# ---------------------------------------------------------------------------------------------
CRLT = plus(T0, days=1)
CRL = {**BASE, "aic": AIC, "agent_seed_hex": AGENT,
       "issue": [{"serial": 100, "usage": "clientAuth"}, {"serial": 101, "usage": "serverAuth"},
                 {"serial": 102, "usage": "clientAuth"}],
       "crl_time": CRLT, "verify_time": plus(CRLT, hours=2)}
R1 = plus(T0, hours=2)


def cok(cid, reqs, comment, expected, **inp):
    data = {**CRL, **inp}
    period = data.get("crl_period_seconds", 86400)
    exp = {"number": 1, "this_update": data["crl_time"],
           "next_update": plus(data["crl_time"], seconds=period)}
    exp.update(expected)
    return {"id": cid, "requirements": reqs, "verdict": "valid", "input": data, "expected": exp,
            "take": ["crl_sha256"], "comment": comment}


def cbad(cid, reqs, code, comment, **inp):
    return {"id": cid, "requirements": reqs, "verdict": "invalid", "input": {**CRL, **inp},
            "error": code, "comment": comment}


REV2 = [{"serial": 100, "reason": 1, "at": R1}, {"serial": 101, "reason": 0, "at": R1}]
crl = [
    cok("pki-crl-001", ["IDN-REV-004", "IDN-REV-006"], "an empty list, number 1",
        {"entries": [], "query_reason": None}, query_serial=100),
    cok("pki-crl-002", ["IDN-REV-001", "IDN-REV-002", "IDN-REV-005"],
        "keyCompromise and unspecified entries; unspecified has no reasonCode",
        {"entries": [{"serial": 100, "reason": 1, "revoked_at": R1},
                     {"serial": 101, "reason": 0, "revoked_at": R1}], "query_reason": 0},
        revoke=REV2, query_serial=101),
    cok("pki-crl-003", ["IDN-REV-002", "IDN-REV-005"],
        "all six reasons, listed in serial order whatever the revocation order",
        {"entries": [{"serial": 100 + i, "reason": i, "revoked_at": R1} for i in range(6)],
         "query_reason": 5},
        issue=[{"serial": 100 + i, "usage": "clientAuth"} for i in range(6)],
        revoke=[{"serial": 100 + i, "reason": i, "at": R1} for i in (5, 3, 1, 0, 2, 4)],
        query_serial=105),
    cok("pki-crl-004", ["IDN-REV-001"], "revoked by presenting the certificate itself",
        {"entries": [{"serial": 102, "reason": 5, "revoked_at": R1}], "query_reason": 5},
        revoke=[{"serial": 102, "reason": 5, "at": R1, "by": "certificate"}], query_serial=102),
    cok("pki-crl-005", ["IDN-REV-004"], "two lists were signed before: this one is number 3",
        {"number": 3, "entries": []}, earlier_crls=[plus(T0, hours=1), plus(T0, hours=12)]),
    cok("pki-crl-006", ["IDN-REV-007"], "verified exactly at nextUpdate", {"entries": []},
        verify_time=plus(CRLT, days=1)),
    cok("pki-crl-007", ["IDN-REV-007"], "verified exactly at thisUpdate", {"entries": []},
        verify_time=CRLT),
    cok("pki-crl-008", ["IDN-REV-005"],
        "a revoked one-day certificate has expired by thisUpdate and is left out",
        {"entries": [{"serial": 100, "reason": 1, "revoked_at": R1}]},
        issue=[{"serial": 100, "usage": "clientAuth"},
               {"serial": 103, "usage": "clientAuth", "validity_days": 1}],
        revoke=[{"serial": 100, "reason": 1, "at": R1}, {"serial": 103, "reason": 1, "at": R1}],
        crl_time=plus(T0, days=2), verify_time=plus(T0, days=2)),
    cok("pki-crl-009", ["IDN-REV-004"], "a one-hour period", {"entries": []},
        crl_period_seconds=3600, verify_time=plus(CRLT, minutes=30)),
    cok("pki-crl-010", ["IDN-REV-003"], "revoking an expired certificate is allowed (and it is not listed)",
        {"entries": []},
        issue=[{"serial": 103, "usage": "clientAuth", "validity_days": 1}],
        revoke=[{"serial": 103, "reason": 3, "at": plus(T0, days=3)}],
        crl_time=plus(T0, days=3), verify_time=plus(T0, days=3)),
    cbad("pki-crl-020", ["IDN-REV-007"], -33508, "one second after nextUpdate: stale",
         verify_time=plus(CRLT, days=1, seconds=1)),
    cbad("pki-crl-021", ["IDN-REV-007"], -33508, "one second before thisUpdate",
         verify_time=plus(CRLT, seconds=-1)),
    cbad("pki-crl-022", ["IDN-REV-006"], -33508,
         "checked against the root: the issuer name differs", verify_against="root"),
    cbad("pki-crl-023", ["IDN-REV-006"], -33508,
         "checked against another CA's intermediate with the same name: the key id differs",
         verify_against="other_intermediate"),
    cbad("pki-crl-024", ["IDN-REV-006"], -33508, "one bit of the signature flipped",
         revoke=REV2, crl_mutation="tampered_signature"),
    cbad("pki-crl-025", ["IDN-REV-006"], -33508, "a PEM block that is not a CRL",
         crl_mutation="garbage"),
    cbad("pki-crl-026", ["IDN-REV-003"], -33607, "the same certificate revoked twice",
         revoke=[{"serial": 100, "reason": 1, "at": R1}, {"serial": 100, "reason": 1, "at": R1}]),
    cbad("pki-crl-027", ["IDN-REV-003"], -33607, "a second revocation with another reason",
         revoke=[{"serial": 100, "reason": 4, "at": R1},
                 {"serial": 100, "reason": 1, "at": plus(R1, hours=1)}]),
    cbad("pki-crl-028", ["IDN-REV-001"], -33609, "a serial this CA never issued",
         revoke=[{"serial": 999, "reason": 1, "at": R1}]),
    cbad("pki-crl-029", ["IDN-REV-001"], -33609,
         "another CA's certificate with a serial this CA did issue",
         revoke=[{"serial": 100, "reason": 1, "at": R1, "by": "other_ca_certificate"}]),
    cbad("pki-crl-030", ["IDN-REV-002"], -32602, "reason 6 (certificateHold) is not allowed",
         revoke=[{"serial": 100, "reason": 6, "at": R1}]),
    cbad("pki-crl-031", ["IDN-REV-002"], -32602, "reason 8 (removeFromCRL) is not allowed",
         revoke=[{"serial": 100, "reason": 8, "at": R1}]),
]
finish("identity.pki", "pki.crl",
       "Revocation and the signed revocation list (Part 6 §6.7).", crl, "pki-crl.json")

# ---------------------------------------------------------------------------------------------
REN = {**BASE, "aic": AIC, "usage": "clientAuth", "agent_seed_hex": AGENT, "serial": 100,
       "now": plus(NA, days=-20), "new_serial": 200}


def rok(cid, reqs, comment, expected=None, **inp):
    data = {**REN, **inp}
    exp = {"aic": AIC, "usage": data["usage"], "serial": data["new_serial"],
           "key_hex": pub(data.get("csr_seed_hex", AGENT)),
           "not_after": plus(data["now"], days=data.get("new_validity_days", 49)),
           "old_revoked_reason": None}
    exp.update(expected or {})
    return {"id": cid, "requirements": reqs, "verdict": "valid", "input": data, "expected": exp,
            "take": ["leaf_sha256"], "comment": comment}


def rbad(cid, reqs, code, comment, **inp):
    return {"id": cid, "requirements": reqs, "verdict": "invalid", "input": {**REN, **inp},
            "error": code, "comment": comment}


ren = [
    rok("pki-ren-001", ["IDN-REN-001", "IDN-REN-004", "IDN-REN-005"],
        "20 days left: renewed over the same key, the old certificate is not revoked"),
    rok("pki-ren-002", ["IDN-REN-001"], "one second inside the 30-day window",
        now=plus(NA, days=-30, seconds=1)),
    rok("pki-ren-003", ["IDN-REN-001"], "48 days left, renewal forced by the operator",
        now=plus(T0, days=1), force=True),
    rok("pki-ren-004", ["IDN-ROT-001", "IDN-ROT-002", "IDN-ROT-003"],
        "key rotation with a valid signature by the old key: the old certificate is superseded",
        expected={"old_revoked_reason": 4}, csr_seed_hex=NEW, rotation="valid"),
    rok("pki-ren-005", ["IDN-REN-005"], "the DNS names carry over",
        expected={"dns": ["agent.example.org"]}, dns=["agent.example.org"]),
    rok("pki-ren-006", ["IDN-REN-003", "IDN-CRT-014"], "renewed at exactly notAfter", now=NA),
    rok("pki-ren-007", ["IDN-REN-005"], "a serverAuth certificate stays serverAuth",
        usage="serverAuth"),
    rok("pki-ren-008", ["IDN-ROT-001", "IDN-ROT-003"], "a forced rotation",
        expected={"old_revoked_reason": 4}, csr_seed_hex=NEW, rotation="valid",
        now=plus(T0, days=1), force=True),
    rok("pki-ren-009", ["IDN-REN-001"], "a 60-day window: 40 days left is due",
        renewal_window_days=60, now=plus(NA, days=-40)),
    rbad("pki-ren-020", ["IDN-REN-001"], -33606, "48 days left", now=plus(T0, days=1)),
    rbad("pki-ren-021", ["IDN-REN-001"], -33606, "exactly 30 days left: not yet due",
         now=plus(NA, days=-30)),
    rbad("pki-ren-022", ["IDN-REN-003"], -33504, "one second after notAfter",
         now=plus(NA, seconds=1)),
    rbad("pki-ren-023", ["IDN-REN-003"], -33506, "the current certificate is revoked",
         revoke_reason=1),
    rbad("pki-ren-024", ["IDN-REN-002"], -33609,
         "another CA's certificate with the same serial and AIC", present="other_ca"),
    rbad("pki-ren-025", ["IDN-REN-004"], -33604, "the CSR names another AIC", csr_cn=OTHER_AIC),
    rbad("pki-ren-026", ["IDN-REN-004"], -33605, "the CSR signature does not verify",
         csr_mutation="bad_signature"),
    rbad("pki-ren-027", ["IDN-ROT-001"], -33610, "a new key without a rotation signature",
         csr_seed_hex=NEW),
    rbad("pki-ren-028", ["IDN-ROT-001"], -33610, "the rotation signature is by the new key",
         csr_seed_hex=NEW, rotation="by_new_key"),
    rbad("pki-ren-029", ["IDN-ROT-002"], -33610,
         "the rotation signature binds another certificate's digest",
         csr_seed_hex=NEW, rotation="other_certificate"),
    rbad("pki-ren-030", ["IDN-ROT-001"], -33610, "one bit of the rotation signature flipped",
         csr_seed_hex=NEW, rotation="tampered"),
    rbad("pki-ren-031", ["IDN-REN-004"], -33610, "same key with a rotation signature",
         rotation="valid"),
    rbad("pki-ren-032", ["IDN-REN-005", "IDN-CRT-011"], -33608, "a new lifetime of 0 days",
         new_validity_days=0),
    rbad("pki-ren-033", ["IDN-CRT-009"], -33611, "the new serial is the current one",
         new_serial=100),
    rbad("pki-ren-034", ["IDN-REN-003"], -33506,
         "revoked and not due: the revocation check comes first", revoke_reason=1,
         now=plus(T0, days=1)),
    rbad("pki-ren-035", ["IDN-REN-001"], -33606, "not due and a bad CSR: not due comes first",
         now=plus(T0, days=1), csr_mutation="garbage"),
    rbad("pki-ren-036", ["IDN-CA-008"], -33401,
         "a valid rotation to the intermediate's own key", csr_seed_hex=INTER, rotation="valid"),
    rbad("pki-ren-037", ["IDN-REN-004"], -33605, "a P-256 CSR", csr_mutation="p256"),
    rok("pki-ren-038", ["IDN-REN-006", "IDN-REN-011"],
        "the current certificate was already renewed (serial 150) over the same key: the same "
        "request again gets that successor, not a new certificate",
        expected={"serial": 150, "not_after": plus(plus(NA, days=-25), days=49)},
        successor={"serial": 150, "time": plus(NA, days=-25)}),
    rbad("pki-ren-039", ["IDN-REN-006", "IDN-ROT-003"], -33612,
         "after a renewal, rotating the older certificate would branch the lineage",
         successor={"serial": 150, "time": plus(NA, days=-25)}, csr_seed_hex=NEW,
         rotation="valid"),
    rok("pki-ren-040", ["IDN-ROT-003", "IDN-REN-006"],
        "rotating the newest certificate retires the old key for the whole lineage: the renewed "
        "predecessor (serial 100), still valid until then, is superseded too",
        expected={"old_revoked_reason": 4}, successor={"serial": 150, "time": plus(NA, days=-25)},
        present="successor", csr_seed_hex=NEW, rotation="valid", force=True),
]
finish("identity.pki", "pki.renew",
       "Renewal and key rotation (Part 6 §6.5, §6.6). The current certificate is issued at "
       "ca_time for 49 days (notAfter 2027-01-09T10:00:00Z).", ren, "pki-renew.json")
