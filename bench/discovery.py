"""Registration and discovery at 100,000 agents, against bare SQLite measured in the same run.

What is measured (one process, the node's registry service over its SQLite file, audit on):

* ``register`` — entity registrations per second: ``atr.derive`` of 100 approved ontologies,
  64 in flight (group commit), each a full ACS checked, signed by the registry, indexed
  (facts and full text), put on the change feed and audited, with its enrollment token issued
  by the node's CA, all durable before it returns.
* ``explicit`` — p50/p99 of natural-language queries (2-3 words from the skill vocabulary).
* ``filtered`` — p50/p99 of filtered queries (country and tag conditions).
* ``sqlite.*`` — the bare SQLite queries underneath (the first 10 holders of one fact, by
  their own facts or their template's; one FTS5 term ranked with LIMIT 10), so the figures
  read as a ratio to what the database alone costs.

With ``--distinct`` every entity brings three skills of its own (words drawn from a 3,000-word
Zipf vocabulary; queries and tag filters draw from it too), instead of its ontology's.

Run: ``python -m bench.discovery [--agents N] [--distinct]`` (a few minutes for 100k on this
machine class).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aip.discovery.query import read_request
from aip.discovery.registry import Action
from aip.discovery.rows import fact_key
from aip.discovery.service import Registry
from aip.discovery.store import RegistryStore
from aip.identity.aic import make_aic
from aip.identity.keys import SigningKey
from aip.node.atr import Enrollment
from aip.node.audit import AuditDesk
from aip.node.datadir import DataDir
from aip.node.discovery import TokenBatch

KEY = SigningKey(bytes(range(32)))
SALT = bytes(range(16))
NODE = make_aic(version="1", registry="1", provider="1", ontology="1", entity="1", salt=SALT)
OPERATOR = "operator"
_VOCABULARY = (
    "translation legal medical finance travel hotel flight weather recipe nutrition fitness "
    "music poetry contract invoice tax audit shipping logistics warehouse retail pricing "
    "insurance claims tutoring mathematics physics chemistry biology history geography "
    "cooking wine coffee tea garden energy solar battery vehicle repair plumbing security"
)
WORDS = _VOCABULARY.split()
COUNTRIES = ("CN", "DE", "FR", "JP", "US", "BR", "IN", "KR", "SG", "GB")
QUERIES = 300
# --distinct: every entity brings its own skills, in words of a Zipf-distributed vocabulary
_SYLLABLES = ["ka", "lo", "mi", "ra", "tu", "ve", "so", "ne", "pi", "du",
              "ga", "re", "fo", "li", "ma", "no", "se", "ti", "ku", "ba"]  # fmt: skip
ZIPF_WORDS = [
    _SYLLABLES[i % 20] + _SYLLABLES[(i // 20) % 20] + _SYLLABLES[(i // 400) % 20]
    for i in range(3000)
]
_ZIPF_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(ZIPF_WORDS))))


def zipf_words(rng: random.Random, k: int) -> list[str]:
    """``k`` distinct words of the Zipf vocabulary (common words often, rare ones seldom)."""
    words: list[str] = []
    while len(words) < k:
        word = rng.choices(ZIPF_WORDS, cum_weights=_ZIPF_WEIGHTS)[0]
        if word not in words:
            words.append(word)
    return words


def own_skills(n: int) -> list[dict[str, Any]]:
    """Three skills of entity ``n`` of its own (for ``--distinct``)."""
    rng = random.Random(n)
    skills = []
    for s in range(3):
        words = zipf_words(rng, 6)
        skills.append(
            {
                "id": f"agent{n}.skill{s}",
                "name": f"{words[0]} {words[1]}",
                "description": f"{words[0]} {words[2]} {words[3]} {words[4]}",
                "version": "1.0.0",
                "tags": words[:3],
                "examples": [f"{words[1]} {words[5]}"],
            }
        )
    return skills


def ontology(n: int) -> dict[str, Any]:
    """A valid ACS submission for ontology ``n`` (organization ``Org n``)."""
    rng = random.Random(n)
    skills = []
    for s in range(3):
        words = rng.sample(WORDS, 4)
        skills.append(
            {
                "id": f"org{n}.skill{s}.{words[0]}",
                "name": f"{words[0]} {words[1]} assistant",
                "description": f"Helps with {words[0]}, {words[1]} and {words[2]} questions.",
                "version": "1.0.0",
                "tags": words[:3],
                "examples": [f"find me help with {words[2]} and {words[3]}"],
            }
        )
    domain = f"org{n}.example.cn"
    return {
        "protocolVersion": "02.01",
        "name": f"Agent product {n}",
        "description": f"An agent of organization {n} for {skills[0]['tags'][0]} work.",
        "version": "1.0.0",
        "provider": {
            "organization": f"Org {n}",
            "url": f"https://{domain}",
            "countryCode": COUNTRIES[n % len(COUNTRIES)],
            "domainRegistrations": [
                {"domain": domain, "registrationNumber": f"R-{n}", "registrationType": "WHOIS"}
            ],
        },
        "securitySchemes": {"mtls": {"type": "mutualTLS"}},
        "endPoints": [
            {
                "url": f"wss://agents.{domain}/ws",
                "transport": "WEBSOCKET",
                "security": [{"mtls": []}],
            }
        ],
        "capabilities": {"streaming": True, "notification": False, "messageQueue": []},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": skills,
    }


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def run(agents: int, distinct: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = DataDir.open(root / "node")  # the node's CA: each entity's enrollment token
        tokens = TokenBatch(Enrollment(data, OPERATOR).issue_tokens)
        audit = await AuditDesk.open(
            root / "audit.sqlite3",
            domain="bench.test",
            aic=str(NODE),
            key=KEY,
            operator=OPERATOR,
            interval=1.0,
            clock=lambda: datetime.now(UTC),
        )
        registry = Registry(
            RegistryStore.open(root / "registry.sqlite3"),
            node_aic=NODE,
            key=KEY,
            salt=SALT,
            operator=OPERATOR,
            emit=audit.emit,
            token_for=tokens.token_for,
        )
        try:
            ontologies = []
            for n in range(100):
                made = await registry.create(f"owner{n}", ontology(n))
                await registry.act(f"owner{n}", made["id"], Action.SUBMIT)
                done = await registry.act(OPERATOR, made["id"], Action.APPROVE)
                ontologies.append((f"owner{n}", done["aic"]))
            queue = list(range(agents))

            async def worker() -> None:
                while queue:
                    n = queue.pop()
                    owner, onto = ontologies[n % len(ontologies)]
                    own: dict[str, Any] = {"name": f"Agent {n} of {onto[-8:]}"}
                    if distinct:
                        own["skills"] = own_skills(n)
                    await registry.derive(owner, onto, own)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(64)))
            figures = {"register": agents / (time.perf_counter() - start)}
            figures.update(_queries(registry, distinct))
        finally:
            await registry.close()
            await audit.close()
            data.close()
    return figures


def _queries(registry: Registry, distinct: bool = False) -> dict[str, float]:
    rng = random.Random(5)
    timings: dict[str, list[float]] = {
        "explicit": [],
        "filtered": [],
        "sqlite.facts": [],
        "sqlite.fts": [],
    }
    for _ in range(QUERIES):
        count = rng.choice((2, 3))
        words = " ".join(zipf_words(rng, count) if distinct else rng.sample(WORDS, count))
        request = read_request({"query": f"help with {words}", "limit": 10})
        start = time.perf_counter()
        registry.discover(request)
        timings["explicit"].append((time.perf_counter() - start) * 1000)
        flt = {
            "logic": "and",
            "conditions": [
                {"field": "provider.countryCode", "op": "eq", "value": rng.choice(COUNTRIES)},
                {"field": "skills.tags", "op": "anyOf",
                 "value": zipf_words(rng, 2) if distinct else rng.sample(WORDS, 2)},
            ],
        }
        request = read_request({"type": "filtered", "filter": flt, "limit": 10})
        start = time.perf_counter()
        registry.discover(request)
        timings["filtered"].append((time.perf_counter() - start) * 1000)
        key = fact_key(rng.choice(COUNTRIES))
        start = time.perf_counter()
        registry.store._rows(  # the entities holding a fact, themselves or by their template
            "SELECT aic FROM facts WHERE path = ?1 AND key = ?2 UNION ALL SELECT aic FROM"
            " inherits WHERE template IN (SELECT template FROM template_facts WHERE path = ?1"
            " AND key = ?2) LIMIT 10",
            ("provider.countryCode", key),
        )
        timings["sqlite.facts"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        word = zipf_words(rng, 1)[0] if distinct else rng.choice(WORDS)
        registry.store.ranked(f'"{word}"', 10)
        timings["sqlite.fts"].append((time.perf_counter() - start) * 1000)
    out: dict[str, float] = {}
    for name, values in timings.items():
        out[f"{name}.p50"], out[f"{name}.p99"] = _ms(values)
    return out


def _report(f: dict[str, float], agents: int, distinct: bool = False) -> None:
    corpus = "every entity with skills of its own" if distinct else "entities of 100 ontologies"
    print(
        f"BENCH discovery.register {f['register']:.0f} agents/s goal >= 2000 "
        f"(durable, audited, {agents} agents, {corpus})"
    )
    for kind in ("explicit", "filtered"):
        print(f"BENCH discovery.{kind}.p50 {f[kind + '.p50']:.2f} ms")
        print(f"BENCH discovery.{kind}.p99 {f[kind + '.p99']:.2f} ms goal < 20")
    for bare in ("facts", "fts"):
        print(f"BENCH discovery.sqlite.{bare}.p50 {f['sqlite.' + bare + '.p50']:.3f} ms")
    print(
        f"BENCH discovery.filtered.vs_sqlite_facts "
        f"{f['filtered.p50'] / f['sqlite.facts.p50']:.1f} ratio (p50)"
    )
    print(
        f"BENCH discovery.explicit.vs_sqlite_fts "
        f"{f['explicit.p50'] / f['sqlite.fts.p50']:.1f} ratio (p50)"
    )


def main(agents: int = 100_000, distinct: bool = False) -> dict[str, float]:
    figures = asyncio.run(run(agents, distinct))
    _report(figures, agents, distinct)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.discovery")
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="every entity brings three skills of its own, in Zipf-distributed words",
    )
    arguments = parser.parse_args()
    main(arguments.agents, arguments.distinct)
