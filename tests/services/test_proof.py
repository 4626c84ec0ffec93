"""Proof of consent for one contact, and the answer at a past moment (decision 069), on both
databases: every event with its evidence, the chain proof a lawyer can recompute by hand, the
verdict naming a tampered event, and who may ask."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from consentry.adapters.proof_document import data
from consentry.core.chain import VERSION
from consentry.core.eligibility import Reason
from consentry.core.errors import (
    ContactNotFound,
    Forbidden,
    InvalidTime,
    OutOfScope,
    Unavailable,
)
from consentry.core.events import Source
from consentry.core.proof import EvidenceState, evidence_state
from consentry.core.status import Status, Suppression
from consentry.ledger import proof as proofs
from tests.factories import (
    T0,
    WRITTEN,
    admin,
    as_contact,
    make_contact,
    sender,
    sql,
    staff,
    system,
    viewer,
)

STOP = {"inbound": "STOP", "from": "+447700900123"}


def story(ledger, clock):
    """Ada: an opt-in to SMS, her STOP an hour later, an email opt-in at a client, a bounce."""
    ada = make_contact(ledger, name="Ada Lovelace")
    steps = [
        lambda: ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN),
        lambda: ledger.opt_out(
            sender(), ada.id, "sms", "acme", source=Source.SMS_KEYWORD, evidence=STOP
        ),
        lambda: ledger.opt_in(staff(), ada.id, "email", "acme/events", evidence=WRITTEN),
        lambda: ledger.opt_in(admin(), ada.id, "email", "acme/newsletters", evidence=WRITTEN),
        lambda: ledger.record_bounce(sender(), ada.id, "email"),
    ]
    for hour, step in enumerate(steps, start=1):
        clock.set(T0 + timedelta(hours=hour))
        step()
    clock.set(T0 + timedelta(hours=6))
    return ada


def test_the_proof_lists_every_event_with_its_evidence_and_an_intact_chain(ledger, clock):
    ada = story(ledger, clock)
    proof = ledger.proof_of_consent(viewer(), ada.id)
    assert [e.seq for e in proof.events] == [1, 2, 3, 4, 5] and proof.withheld == 0
    stop = proof.events[1]
    assert stop.evidence_data == STOP and stop.recorded_by == "key-acme"
    assert proof.chain.intact and proof.chain.checked == 5
    assert (proof.chain.head.seq, proof.chain.head.hash) == (5, proof.events[-1].hash)
    digest = ledger.export_digest(admin())
    assert proof.chain.root == digest.root and (ada.id, 5, proof.events[-1].hash) in digest.heads
    assert proof.chain.line == f"{ada.id} 5 {proof.events[-1].hash}"
    assert proof.sentence() == (
        "The record of this contact's consent is intact: its 5 events recompute to head "
        f"{proof.events[-1].hash} (event 5), which is part of the group digest {digest.root} "
        "of acme at 2026-01-05 15:00 UTC."
    )
    statuses = {(s.channel.value, s.scope_id): s.status for s in proof.statuses}
    assert statuses == {
        ("email", "acme/events"): Status.OPTED_IN,
        ("email", "acme/newsletters"): Status.OPTED_IN,
        ("sms", "acme"): Status.HARD_OPT_OUT,
    }
    assert [(c.value, s) for c, s in proof.suppressions] == [("email", Suppression.BOUNCED)]
    assert proof.generated_at == clock.now() and proof.generated_by == viewer()


def test_the_json_says_who_recorded_each_event_and_how(ledger, clock):
    ada = story(ledger, clock)
    events = data(ledger.proof_of_consent(viewer(), ada.id))["events"]
    assert [e["summary"] for e in events] == [
        "Opted in to SMS at acme",
        "Opted out of SMS at acme",
        "Opted in to email at acme/events",
        "Opted in to email at acme/newsletters",
        "The email address bounced at acme",
    ]
    assert events[0]["who"] == "Staff member staff@acme" and events[0]["how"] == "through the API"
    assert events[1]["who"] == "The contact, recorded by key-acme"
    assert events[1]["how"] == "through a text message keyword"
    assert events[3]["who"] == "Admin admin@acme"
    assert [e["evidence_state"] for e in events] == ["kept"] * 4 + ["none"]
    mine = ledger.opt_out(as_contact(ada), ada.id, "sms", "acme", source=Source.UNSUBSCRIBE_LINK)
    own = data(ledger.proof_of_consent(viewer(), ada.id))["events"][-1]
    assert own["id"] == mine.id and own["who"] == "The contact"


def test_the_hashes_recompute_by_the_recipe_the_document_gives(ledger, clock):
    ada = story(ledger, clock)
    document = data(ledger.proof_of_consent(viewer(), ada.id))
    previous = hashlib.sha256(f"{VERSION}/genesis/{ada.id}".encode()).hexdigest()
    assert document["chain"]["genesis"] == previous
    for event in document["events"]:
        line = json.loads(event["hashed_text"])
        assert line[:2] == [VERSION, previous] and line[2] == event["id"]
        assert hashlib.sha256(event["hashed_text"].encode()).hexdigest() == event["hash"]
        text, salt = event["evidence_text"], event["evidence_salt"]
        if text is not None:
            commitment = hashlib.sha256(f"{salt}\x00{text}".encode()).hexdigest()
            assert commitment == event["evidence_commitment"] == line[-1]
        previous = event["hash"]
    assert document["chain"]["head"]["hash"] == previous
    lines = "".join(f"\n{c} {s} {h}" for c, s, h in ledger.export_digest(admin()).heads)
    root = hashlib.sha256((VERSION + lines).encode()).hexdigest()
    assert document["chain"]["digest"]["root"] == root
    assert f"\n{document['chain']['digest_line']}" in lines


def test_a_tampered_event_gives_a_verdict_that_names_it(ledger, clock):
    ada = story(ledger, clock)
    stop = ledger.history(viewer(), ada.id)[1]
    sql(ledger, "UPDATE events SET actor_kind = 'admin' WHERE id = :e", e=stop.id)
    proof = ledger.proof_of_consent(viewer(), ada.id)
    assert not proof.chain.intact
    assert (proof.chain.problems[0].kind, proof.chain.problems[0].event_id) == ("altered", stop.id)
    assert proof.sentence().startswith(
        "The record of this contact's consent does NOT verify: altered: "
        f"event {stop.id} (number 2): event fields do not match its hash."
    )
    assert data(proof)["chain"]["problems"][0]["event_id"] == stop.id


def test_a_rewritten_status_is_named_by_its_channel_and_scope(ledger, clock):
    ada = story(ledger, clock)
    suppression = "UPDATE suppressions SET suppression = :s WHERE contact_id = :c"
    sql(ledger, suppression, s="complained", c=ada.id)
    suppressed = ledger.proof_of_consent(viewer(), ada.id).sentence()
    assert "does NOT verify: projection altered: the email suppression: " in suppressed
    sql(ledger, suppression, s="bounced", c=ada.id)
    sql(ledger, "UPDATE consents SET status = 'opted_in' WHERE contact_id = :c AND channel = 'sms'",
        c=ada.id)  # fmt: skip
    sentence = ledger.proof_of_consent(viewer(), ada.id).sentence()
    assert sentence == (
        "The record of this contact's consent does NOT verify: projection altered: the sms "
        "status at acme: status is 'opted_in', the events say 'hard_opt_out'."
    )
    sql(ledger, "DELETE FROM events WHERE contact_id = :c AND seq = 3", c=ada.id)
    again = ledger.proof_of_consent(viewer(), ada.id).sentence()
    assert again.startswith("The record of this contact's consent does NOT verify: deleted: ")
    assert "event number 3: events 3..3 are missing before event ev_" in again
    assert again.endswith(". 2 more problems found.")


def test_a_deleted_chain_head_is_named_and_the_chain_start_stands_in(ledger, clock):
    ada = story(ledger, clock)
    sql(ledger, "DELETE FROM chain_heads WHERE contact_id = :c", c=ada.id)
    proof = ledger.proof_of_consent(viewer(), ada.id)
    assert proof.chain.head.seq == 0 and proof.chain.head.hash == data(proof)["chain"]["genesis"]
    assert not proof.chain.intact
    kinds = {(p.kind, p.detail) for p in proof.chain.problems}
    assert ("inserted", "a chain with no chain head") in kinds


def test_erased_evidence_leaves_its_commitment_and_the_chain_intact(ledger, clock):
    ada = story(ledger, clock)
    ledger.erase_contact(admin(), ada.id)
    proof = ledger.proof_of_consent(viewer(), ada.id)
    assert proof.chain.intact
    states = [evidence_state(e) for e in proof.events]
    assert states == [EvidenceState.ERASED] * 4 + [EvidenceState.NONE] * 3  # + 2 erasures


def test_a_contact_with_no_events_has_an_intact_record_at_its_start(ledger):
    ada = make_contact(ledger)
    proof = ledger.proof_of_consent(viewer(), ada.id)
    assert proof.events == () and proof.chain.intact and proof.chain.head.seq == 0
    assert "its 0 events recompute to head" in proof.sentence()
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    assert "its 1 event recompute" in ledger.proof_of_consent(viewer(), ada.id).sentence()


def test_who_may_ask_for_the_proof(ledger, clock):
    ada = story(ledger, clock)
    for principal in (viewer(), staff(), admin(), system()):
        assert ledger.proof_of_consent(principal, ada.id).chain.intact
    for principal in (sender(), as_contact(ada)):
        with pytest.raises(Forbidden) as refused:
            ledger.proof_of_consent(principal, ada.id)
        assert refused.value.code == "forbidden"
    with pytest.raises(ContactNotFound) as hidden:
        ledger.proof_of_consent(viewer("globex"), ada.id)
    assert hidden.value.code == "contact_not_found"


def test_a_client_viewer_sees_its_own_events_and_is_told_of_the_others(ledger, clock):
    ada = story(ledger, clock)
    proof = ledger.proof_of_consent(viewer("acme/newsletters"), ada.id)
    assert [e.scope_id for e in proof.events] == ["acme", "acme", "acme/newsletters", "acme"]
    assert proof.withheld == 1 and proof.chain.checked == 5
    assert [s.scope_id for s in proof.statuses] == ["acme/newsletters", "acme"]
    assert "its 5 events (1 of them at scopes outside your reach, not listed here)" in (
        proof.sentence()
    )


def test_the_answer_before_and_after_the_stop(ledger, clock):
    ada = story(ledger, clock)
    opted, stop = ledger.history(viewer(), ada.id)[:2]
    ask = {"channel": "sms", "scope_id": "acme/newsletters"}
    before = ledger.eligibility_proof(viewer(), ada.id, at=T0 + timedelta(minutes=90), **ask)
    assert before.decision.allowed and before.decision.reason is Reason.OPTED_IN
    assert before.deciding == opted and [e.seq for e in before.events] == [1]
    assert (before.status, before.effective, before.effective_scope_id) == (
        Status.NONE, Status.OPTED_IN, "acme",
    )  # fmt: skip
    assert before.sentence() == (
        "On 2026-01-05 10:30 UTC, a marketing message on SMS from acme/newsletters was "
        f"allowed: the contact had opted in, recorded at acme by event 1 ({opted.id})."
    )
    after = ledger.eligibility_proof(viewer(), ada.id, at=T0 + timedelta(hours=3), **ask)
    assert not after.decision.allowed and after.decision.reason is Reason.HARD_OPT_OUT
    assert after.deciding == stop and [e.seq for e in after.events] == [1, 2]
    assert "was not allowed: the contact had opted out themselves (a hard opt-out)" in (
        after.sentence()
    )
    assert after.proof.chain.intact and len(after.proof.events) == 5
    earliest = ledger.eligibility_proof(viewer(), ada.id, at=T0, **ask)
    assert earliest.decision.reason is Reason.NO_CONSENT and earliest.deciding is None
    assert earliest.sentence().endswith("was not allowed: no opt-in had been recorded.")


def test_the_answer_counts_a_bounce_and_a_transactional_message(ledger, clock):
    ada = story(ledger, clock)
    ask = {"channel": "email", "scope_id": "acme/newsletters", "at": clock.now()}
    bounced = ledger.eligibility_proof(viewer(), ada.id, **ask)
    assert bounced.decision.reason is Reason.BOUNCED and bounced.deciding is None
    assert [e.seq for e in bounced.events] == [4, 5]
    receipt = ledger.eligibility_proof(viewer(), ada.id, category="transactional", **ask)
    assert receipt.decision.reason is Reason.BOUNCED  # a bounce is never bypassed
    before = replace_at(ask, T0 + timedelta(hours=4, minutes=30))
    sent = ledger.eligibility_proof(viewer(), ada.id, category="transactional", **before)
    assert sent.decision.allowed and sent.decision.reason is Reason.TRANSACTIONAL
    assert "a transactional message on email from acme/newsletters was allowed" in sent.sentence()


def replace_at(ask: dict[str, Any], at: Any) -> dict[str, Any]:
    return {**ask, "at": at}


def test_the_answer_is_refused_for_the_future_and_follows_the_scope_rules(ledger, clock):
    ada = story(ledger, clock)
    with pytest.raises(InvalidTime) as future:
        ledger.eligibility_proof(
            viewer(), ada.id, channel="sms", scope_id="acme", at=clock.now() + timedelta(seconds=1)
        )
    assert future.value.code == "invalid_time"
    with pytest.raises(OutOfScope) as out:
        ledger.eligibility_proof(
            viewer("acme/newsletters"), ada.id, channel="sms", scope_id="acme/events",
            at=clock.now(),
        )  # fmt: skip
    assert out.value.code == "out_of_scope"


class Writing:
    """The real store, with another writer's opt-in landing as the group digest is read.

    A deterministic stand-in for a concurrent request: every read still goes to the database.
    """

    def __init__(self, ledger, contact_id, times):
        self.ledger, self.contact_id, self.times = ledger, contact_id, times
        self.store = ledger.store

    def __getattr__(self, name):
        return getattr(self.store, name)

    def chain(self, group_id, contact_id=None):
        if contact_id is None and self.times:
            self.times -= 1
            self.ledger.opt_in(staff(), self.contact_id, "post", "acme", evidence=WRITTEN)
        return self.store.chain(group_id, contact_id)


def test_a_write_between_the_reads_makes_them_again(ledger, clock):
    ada = story(ledger, clock)
    ctx = replace(ledger.context, store=Writing(ledger, ada.id, times=1))
    proof = proofs.proof_of_consent(ctx, viewer(), ada.id)
    assert proof.chain.intact and proof.chain.checked == 6 and len(proof.events) == 6
    assert proof.chain.head.hash == proof.events[-1].hash


def test_a_contact_that_keeps_changing_is_unavailable_for_now(ledger, clock):
    ada = story(ledger, clock)
    ctx = replace(ledger.context, store=Writing(ledger, ada.id, times=proofs.READ_ATTEMPTS))
    with pytest.raises(Unavailable) as busy:
        proofs.proof_of_consent(ctx, viewer(), ada.id)
    assert busy.value.code == "unavailable"
