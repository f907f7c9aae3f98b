"""The node's registry and discovery service (shell: threads, the event loop, the clock, ids).

:class:`Registry` puts the pure pieces together over a
:class:`~aip.discovery.store.RegistryStore`: the review workflow (:mod:`.registry`), AIC
allocation with the domain's private salt, publication of signed ACS documents (:mod:`.acs`),
entity derivation, and ``adp.discover`` over the full-text and facts indexes (:mod:`.query`,
:mod:`.filters`).  Writes are grouped into one durable transaction on a writer thread (group
commit); every change is reported to the audit desk.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aip.discovery.acs import check_domains, check_submission, format_time, published
from aip.discovery.filters import Filter, matches, prefilter
from aip.discovery.query import Discover, result
from aip.discovery.ranking import FullTextRanker, Ranker
from aip.discovery.registry import Action, Party, State, next_serial, step
from aip.discovery.rows import RowTemplate
from aip.discovery.store import Published, RegistryStore, Writer, prepare
from aip.errors import AipError, Code, DiscoveryError
from aip.identity.aic import Aic, derive_entity, make_aic
from aip.identity.keys import SigningKey
from aip.integrity import sign_object

__all__ = ["Registry"]

Emit = Callable[..., None]
_MAX_BATCH = 512
_CACHE = 50_000  # parsed documents kept for discovery


@dataclass(frozen=True, slots=True)
class _Template:
    """What entities of one ontology start from: its document without ``integrity``, and the
    index rows of its members."""

    base: dict[str, Any]
    rows: RowTemplate


class Registry:
    """The registry and discovery desk of one node.  Create inside a running event loop."""

    def __init__(
        self,
        store: RegistryStore,
        *,
        node_aic: Aic,
        key: SigningKey,
        salt: bytes,
        operator: str,
        emit: Emit,
        token_for: Callable[[str], Awaitable[str]],
        dev_mode: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        alive: Callable[[str], bool] | None = None,
        ranker: Ranker | None = None,
    ) -> None:
        self.store = store
        # Orders skills for natural-language queries (full text unless another is plugged in).
        self.ranker: Ranker = ranker if ranker is not None else FullTextRanker(store)
        # Discovery lists an entity only while ``alive(aic)`` holds (liveness); None: all.
        self.alive = alive
        self._node = node_aic
        self._key = key
        self._salt = salt
        self._operator = operator
        self._emit = emit
        self._token_for = token_for
        self.dev_mode = dev_mode
        self._clock = clock
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aip-registry")
        self._waiting: list[tuple[Callable[[Writer], Any], asyncio.Future[Any], bool]] = []
        self._counters: dict[str, int] = {}
        self._cache: dict[str, dict[str, Any]] = {}  # parsed published documents
        self._ontologies: dict[str, tuple[Published, _Template]] = {}
        self._owners: set[tuple[str, str]] = set()  # (owner, ontology AIC) pairs seen
        self._touched: set[str] = set()
        # Called (on the event loop) after every committed batch of writes: the change feed's
        # long polls wake up on it.
        self.committed: list[Callable[[], None]] = []
        self._draining: asyncio.Task[None] | None = None

    # --- group commit ------------------------------------------------------------------------

    async def _write(self, job: Callable[[Writer], Any], *, alone: bool = True) -> Any:
        """Run ``job`` inside a durable transaction shared with whatever else is waiting.

        With ``alone`` a job that raises fails alone (its own savepoint is rolled back); a job
        that cannot be refused (``alone=False``, all its checks done before) skips the
        savepoint, and only an I/O error fails it, with its whole batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((job, future, alone))
        if self._draining is None or self._draining.done():
            self._draining = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting[:_MAX_BATCH], self._waiting[_MAX_BATCH:]
            try:
                outcomes = await loop.run_in_executor(self._writer, self._run_batch, batch)
            except BaseException as exc:  # the transaction failed: nothing of it is stored
                for _, future, _alone in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future, _alone), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            touched, self._touched = self._touched, set()
            for aic in touched:
                self._cache.pop(aic, None)
                self._ontologies.pop(aic, None)
            for listener in self.committed:
                listener()

    def _run_batch(self, batch: list[tuple[Callable[[Writer], Any], Any, bool]]) -> list[Any]:
        def run(writer: Writer) -> list[tuple[bool, Any]]:
            outcomes: list[tuple[bool, Any]] = []
            for n, (job, _, alone) in enumerate(batch):
                if not alone:
                    outcomes.append((True, job(writer)))
                    continue
                writer.job(n)
                try:
                    outcomes.append((True, job(writer)))
                    writer.end_job(n, keep=True)
                except AipError as exc:  # refused: undo this job only
                    writer.end_job(n, keep=False)
                    outcomes.append((False, exc))
            return outcomes

        result_: list[Any] = self.store.write(run)
        return result_

    async def close(self) -> None:
        """Wait for writes in flight, stop the writer thread, close the store."""
        if self._draining is not None:
            await asyncio.shield(self._draining)
        self._writer.shutdown(wait=True)
        self.store.close()

    # --- registration ------------------------------------------------------------------------

    async def create(self, owner: str, acs: Any) -> dict[str, Any]:
        """A new ontology registration in DRAFT from ``acs`` [DSC-REG-001]."""
        check_submission(acs)
        ident = secrets.token_hex(8)
        now = format_time(self._clock())
        await self._write(
            lambda w: w.save_registration(
                ident, owner=owner, state=State.DRAFT, acs=acs, aic=None, reason=None, at=now
            )
        )
        self._audit("registration.create", owner, {"type": "registration", "id": ident})
        if self.dev_mode:  # development: submitted and approved at once, and it says so
            await self.act(owner, ident, Action.SUBMIT)
            return await self.act(self._operator, ident, Action.APPROVE, reason="development mode")
        return {"id": ident, "state": State.DRAFT.value}

    def status(self, caller: str, ident: str) -> dict[str, Any]:
        """A registration as its owner or the operator sees it."""
        found = self.store.registration(ident)
        if found is None or caller not in (found["owner"], self._operator):
            raise DiscoveryError(Code.AGENT_NOT_FOUND, "no such registration")
        return found

    def registrations(
        self, caller: str, state: State | None, after: str, limit: int
    ) -> dict[str, Any]:
        """One page of every registration, for the operator's review queue [DSC-REG-009]:
        ``{registrations: [...], next?}`` in id order, ``next`` (the last id of the page) only
        when more follow.  Raises DiscoveryError AUTHORIZATION_FAILED for anyone but the
        operator (an operator action, [DSC-REG-002])."""
        if caller != self._operator:
            raise DiscoveryError(Code.AUTHORIZATION_FAILED, "only the operator lists registrations")
        rows = self.store.registrations(None if state is None else state.value, after, limit + 1)
        page: dict[str, Any] = {"registrations": rows[:limit]}
        if len(rows) > limit:
            page["next"] = rows[limit - 1]["id"]
        return page

    async def act(
        self,
        caller: str,
        ident: str,
        action: Action,
        *,
        acs: Any = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Take ``action`` on registration ``ident`` (see :data:`.registry.TRANSITIONS`)."""
        if acs is not None:
            check_submission(acs)
        if action in (Action.SUBMIT, Action.APPROVE):
            found = self.status(caller, ident)
            check_domains(acs or found["acs"], allow_loopback=self.dev_mode)  # [DSC-REG-005]
        is_operator = caller == self._operator

        def job(w: Writer) -> dict[str, Any]:
            found = w.registration(ident)
            if found is None or caller not in (found["owner"], self._operator):
                raise DiscoveryError(Code.AGENT_NOT_FOUND, "no such registration")
            party = Party.OWNER if caller == found["owner"] else Party.OPERATOR
            moved = step(State(found["state"]), action, party, is_operator=is_operator)
            doc = acs if acs is not None else found["acs"]
            aic = found["aic"]
            now = self._clock()
            if moved.publishes:
                aic = aic or self._allocate_ontology(w, doc)
                self._publish(w, aic, kind="ontology", ontology=aic, doc=doc, active=True, now=now)
                self._entities(w, aic, active=True, now=now)  # enabled again: they return
            elif moved.withdraws and aic is not None:
                self._publish(w, aic, kind="ontology", ontology=aic, doc=doc, active=False, now=now)
                self._entities(w, aic, active=False, now=now)  # [DSC-ADP-009]
            w.save_registration(
                ident,
                owner=found["owner"],
                state=moved.state,
                acs=doc,
                aic=aic,
                reason=reason,
                at=format_time(now),
            )
            answer = {"id": ident, "state": moved.state.value}
            if aic is not None:
                answer["aic"] = aic
            return answer

        answer: dict[str, Any] = await self._write(job)
        name = {"name": answer["aic"]} if "aic" in answer else {}
        target = {"type": "registration", "id": ident, **name}
        self._audit(f"registration.{action.value}", caller, target, reason=reason)
        return answer

    def _audit(
        self, action: str, caller: str, target: dict[str, Any], *, reason: str | None = None
    ) -> None:
        """One audit record of a successful registry step by ``caller`` [DSC-REG-007]."""
        kind = "operator" if caller == self._operator else "agent"
        self._emit(action=action, kind="registration", actor={"id": caller, "type": kind},
                   target=target, status="success", reason=reason)  # fmt: skip

    def _allocate_ontology(self, w: Writer, doc: dict[str, Any]) -> str:
        """A fresh ontology AIC under this registry [DSC-REG-004]: a provider serial per
        organization, an ontology serial per provider, the domain's private salt."""
        organization = str(doc.get("provider", {}).get("organization", ""))
        counter_name = f"provider:{organization}"
        provider = w.counter(counter_name)
        if provider == 0:  # a new organization: the next provider serial (1 is the node's own)
            provider = max(1, w.counter("providers")) + 1
            w.set_counter("providers", provider)
            w.set_counter(counter_name, provider)
        provider_code = next_serial(provider - 1)[0]
        ontology, used = next_serial(w.counter(f"ontologies:{provider_code}"))
        w.set_counter(f"ontologies:{provider_code}", used)
        aic = make_aic(
            version=self._node.version,
            registry=self._node.registry,
            provider=provider_code,
            ontology=ontology,
            entity="0",
            salt=self._salt,
        )
        return str(aic)

    def _publish(
        self,
        w: Writer,
        aic: str,
        *,
        kind: str,
        ontology: str,
        doc: dict[str, Any],
        active: bool,
        now: datetime,
    ) -> dict[str, Any]:
        previous = w.agent(aic)
        version = 1 if previous is None else previous.version + 1
        self._touched.add(aic)  # dropped from the cache once committed
        # published() checks the document; sign it as it is [DSC-ACS-028]
        signed = sign_object(published(doc, aic=aic, active=active, modified=now), self._key)
        w.publish(
            Published(aic, kind, ontology, active, version, format_time(now), signed),
            format_time(now),
            replaces=previous is not None,
        )
        return signed

    def _entities(self, w: Writer, ontology: str, *, active: bool, now: datetime) -> None:
        """Republish every entity of ``ontology`` as ``active`` (on disable and enable)."""
        for entity in w.entities_of(ontology):
            if entity.active != active:
                doc = {k: v for k, v in entity.doc.items() if k != "integrity"}
                self._publish(
                    w,
                    entity.aic,
                    kind="entity",
                    ontology=ontology,
                    doc=doc,
                    active=active,
                    now=now,
                )

    async def derive(
        self, caller: str, ontology: str, overrides: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A new entity of an approved ontology, by its owner or the ontology itself
        [DSC-REG-006]; returns the entity AIC, its signed document and an enrollment token."""
        found, template = self._ontology(ontology)
        if not found.active:
            raise DiscoveryError(Code.ONTOLOGY_NOT_APPROVED, "the ontology is not enabled")
        if caller not in (ontology, self._operator) and not self._owns(caller, ontology):
            raise DiscoveryError(Code.AUTHORIZATION_FAILED, "only the ontology's holder derives")
        doc = {**template.base, **(overrides or {})}
        # published() checks the whole document, as check_acs (a superset of the submission
        # rules); the domains are checked here [DSC-REG-005]
        check_domains(doc, allow_loopback=self.dev_mode)
        # Everything but the SQL happens here, on the event loop: the writer thread only
        # writes (it would otherwise fight the loop for the GIL on every statement).
        name = f"entities:{ontology}"
        serial, used = next_serial(self._counter(name))
        self._counters[name] = used  # a serial is never handed out twice, even if this fails
        aic = str(derive_entity(ontology, serial, self._salt))
        now = self._clock()
        signed = sign_object(published(doc, aic=aic, active=True, modified=now), self._key)
        entry = Published(aic, "entity", ontology, True, 1, format_time(now), signed)
        prepared = prepare(entry, template.rows, found.version)

        def job(w: Writer) -> None:
            w.set_counter(name, max(used, w.counter(name)))
            w.publish(entry, format_time(now), replaces=False, prepared=prepared)

        await self._write(job, alone=False)
        self._audit("entity.derive", caller, {"type": "agent", "id": aic})
        return {"aic": aic, "document": signed, "token": await self._token_for(aic)}

    def _docs(self, aics: list[str]) -> dict[str, dict[str, Any]]:
        """Published documents by AIC, parsed once and kept (until republished)."""
        cache = self._cache
        missing = [a for a in aics if a not in cache]
        if missing:
            if len(cache) + len(missing) > _CACHE:
                cache.clear()
            cache.update(self.store.docs(missing))
        return {a: cache[a] for a in aics if a in cache}

    def _ontology(self, aic: str) -> tuple[Published, _Template]:
        """The published ontology ``aic`` and its entity template, kept until republished;
        AGENT_NOT_FOUND when there is no such ontology."""
        held = self._ontologies.get(aic)
        if held is None:
            found = self.store.agent(aic)
            if found is None or found.kind != "ontology":
                raise DiscoveryError(Code.AGENT_NOT_FOUND, "no such ontology")
            base = {k: v for k, v in found.doc.items() if k != "integrity"}
            if len(self._ontologies) >= _CACHE:
                self._ontologies.clear()
            held = self._ontologies[aic] = (found, _Template(base, RowTemplate(base)))
        return held

    def _counter(self, name: str) -> int:
        """An allocation counter: the stored value, then what this process handed out."""
        if name not in self._counters:
            self._counters[name] = self.store.counter(name)
        return self._counters[name]

    def _owns(self, caller: str, ontology: str) -> bool:
        """Whether ``caller`` registered ``ontology`` (a registration's owner never changes,
        so a yes is kept)."""
        if (caller, ontology) in self._owners:
            return True
        owns = self.store.owns(caller, ontology)
        if owns and len(self._owners) < _CACHE:
            self._owners.add((caller, ontology))
        return owns

    def lookup(self, aic: str) -> dict[str, Any]:
        """The signed document of ``aic`` (AGENT_NOT_FOUND when unknown or withdrawn)."""
        found = self.store.agent(aic)
        if found is None or not found.active:
            raise DiscoveryError(Code.AGENT_NOT_FOUND, "no such agent")
        return found.doc

    # --- discovery ---------------------------------------------------------------------------

    def discover(self, req: Discover) -> dict[str, Any]:
        """Answer a checked ``adp.discover`` request from the local index [DSC-ADP-005]."""
        if req.query and req.type in ("explicit", "exploratory"):
            hits, docs = self._search(req)
        elif req.type == "trending":
            hits, docs = self._trending(req)
        else:
            hits, docs = self._filtered(req)
        group = req.query or req.type
        return result(group, hits, docs)

    def _search(self, req: Discover) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
        """The ranker's skills, read until ``limit`` of them may be listed [DSC-ADP-006]."""
        hits: list[tuple[str, str, str]] = []
        docs: dict[str, Any] = {}
        for aic, skill, memo in self.ranker.ranked(req.query):
            doc = docs.get(aic) or self._docs([aic]).get(aic)
            if doc is None or not self._listed(aic):
                continue
            if req.filter is not None and not matches(req.filter, doc):
                continue
            docs[aic] = doc
            hits.append((aic, skill, memo))
            if len(hits) == req.limit:
                break
        return hits, docs

    def _listed(self, aic: str) -> bool:
        return self.alive is None or self.alive(aic)

    def _hints(self, flt: Filter) -> list[list[tuple[str, str, tuple[Any, ...]]]] | None:
        """Index hints that every match satisfies (all of them), or None to scan: for an
        ``and``, one per item that has one; otherwise the filter's own hint."""
        if flt.logic != "and":
            hint = prefilter(flt)
            return None if hint is None else [hint]
        parts = [Filter("and", (c,), ()) for c in flt.conditions] + list(flt.groups)
        hints = [h for h in (prefilter(p) for p in parts) if h is not None]
        return hints or None

    def _filtered(self, req: Discover) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
        hints = self._hints(req.filter) if req.filter is not None else None
        hits: list[tuple[str, str, str]] = []
        docs: dict[str, Any] = {}
        after, size = "", 4 * req.limit
        candidates = self.store.candidates(hints) if hints is not None else None
        while len(hits) < req.limit:
            if candidates is not None:  # candidates from the index
                page = candidates.page(after, size)
            else:
                page = self.store.active_entities(after, size)
            if not page:
                break
            more, seen = self._scan(req, page, "filter", req.limit - len(hits))
            hits += more
            docs.update(seen)
            after, size = page[-1], min(size * 4, 2000)
        return hits, docs

    def _trending(self, req: Discover) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
        """The most recently updated entities that may be listed, a page at a time
        [DSC-ADP-008]."""
        hits: list[tuple[str, str, str]] = []
        docs: dict[str, Any] = {}
        after: tuple[str, str] | None = None
        size = 4 * req.limit
        while len(hits) < req.limit:
            page = self.store.recent_entities(size, after)
            more, seen = self._scan(req, [a for _, a in page], "recent", req.limit - len(hits))
            hits += more
            docs.update(seen)
            if len(page) < size:
                break
            after, size = page[-1], min(size * 4, 2000)
        return hits, docs

    def _scan(
        self, req: Discover, aics: list[str], memo: str, limit: int | None = None
    ) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
        want = req.limit if limit is None else limit
        hits: list[tuple[str, str, str]] = []
        docs: dict[str, Any] = {}
        start, size = 0, 2 * want  # small first: most filters find their first hits early
        while start < len(aics):
            page = aics[start : start + size]
            start, size = start + size, min(size * 4, 1000)
            batch = self._docs(page)
            for aic in page:
                doc = batch.get(aic)
                if doc is None or not self._listed(aic):
                    continue
                if req.filter is not None and not matches(req.filter, doc):
                    continue
                hits.append((aic, _first_skill(doc), memo))
                docs[aic] = doc
                if len(hits) == want:
                    return hits, docs
        return hits, docs


def _first_skill(doc: dict[str, Any]) -> str:
    """The id of the document's first skill ("" when it has none): the skill a filtered or
    trending hit names."""
    skills = doc.get("skills")
    first = skills[0] if isinstance(skills, list) and skills else None
    found = first.get("id") if isinstance(first, dict) else None
    return found if isinstance(found, str) else ""
