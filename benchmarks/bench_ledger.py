"""Ledger benchmarks: append throughput and inclusion-proof generation at a million events.

    .venv/bin/python benchmarks/bench_ledger.py

1. Appends through ``ledger.record`` (event + tree nodes + head, batched transactions of BATCH events)
   against plain INSERTs of rows of the same shape into a bare table, same batching. Goal: >= 5,000/s
   on SQLite.
2. Inclusion proofs through the real ``merkle.inclusion_proof`` + ``tree.tree_fetch`` at
   LIUHEN_BENCH_LEDGER_EVENTS (default 1,000,000) events, against a single indexed row fetch.
   Goal: < 5 ms each. The million events are written directly (same rows ``record`` would write,
   built in bulk) because only the proofs are measured there.

Runs on a throwaway database: a SQLite file in a temporary data folder, or, when DATABASE_URL names
PostgreSQL, a ``test_`` database created and dropped by Django's test machinery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuhen.settings")
_tmp = tempfile.TemporaryDirectory(prefix="liuhen-bench-ledger-")
os.environ["LIUHEN_DATA_DIR"] = _tmp.name

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from liuhen.ledger import merkle, services, tree  # noqa: E402
from liuhen.ledger.models import Event, LedgerHead, TreeNode  # noqa: E402

APPENDS = int(os.environ.get("LIUHEN_BENCH_LEDGER_APPENDS", "20000"))
BATCH = 1000
PROOF_EVENTS = int(os.environ.get("LIUHEN_BENCH_LEDGER_EVENTS", "1000000"))
PROOFS = 1000


def _setup_database() -> str | None:
    """The original database name to restore when a throwaway PostgreSQL database was made."""
    if connection.vendor == "postgresql":
        original = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        return original
    call_command("migrate", verbosity=0)
    return None


def bench_appends() -> None:
    with connection.cursor() as cursor:
        serial = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY"
        cursor.execute(
            f"CREATE TABLE bench_plain (id {serial}, seq bigint UNIQUE, recorded_at varchar(40),"
            " actor_id bigint, actor_label varchar(120), agency_id bigint, action varchar(64), object_type varchar(64),"
            " object_id varchar(64), payload text, payload_hash varchar(64), leaf_hash varchar(64),"
            " chain_hash varchar(64))"
        )
    now = timezone.now().isoformat()
    t0 = time.perf_counter()
    for start in range(0, APPENDS, BATCH):
        with transaction.atomic(), connection.cursor() as cursor:
            for i in range(start, start + BATCH):
                cursor.execute(
                    "INSERT INTO bench_plain (seq, recorded_at, actor_id, actor_label, agency_id, action, object_type,"
                    " object_id, payload, payload_hash, leaf_hash, chain_hash) VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [i, now, 1, "基准", 1, "user.logged_in", "user", str(i), '{"i":1}', "a" * 64, "b" * 64, "c" * 64],
                )
    plain = APPENDS / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for start in range(0, APPENDS, BATCH):
        with transaction.atomic():
            for i in range(start, start + BATCH):
                services.record(
                    actor="基准", action="user.logged_in", obj_type="user", obj_id=i, payload={"i": i}, agency_id=1
                )
    appends = APPENDS / (time.perf_counter() - t0)
    goal = ("met" if appends >= 5000 else "NOT met") if connection.vendor == "sqlite" else "not applicable"
    print(
        f"ledger append ({connection.vendor}): {appends:,.0f} events/s through record(), {APPENDS:,} events in "
        f"transactions of {BATCH}; baseline plain INSERT into a bare table of the same shape {plain:,.0f} rows/s; "
        f"ratio {appends / plain:.2f} of baseline (goal >= 5,000 events/s on SQLite: {goal})"
    )


def _grow_tree_in_bulk(target: int) -> None:
    """Add events up to ``target`` with the rows record() would write, inserted in bulk."""
    head = LedgerHead.objects.get(pk=1)
    frontier = merkle.Frontier.load(head.size, head.frontier)
    chain = head.chain_hash
    at = timezone.now()
    t0 = time.perf_counter()
    seq = head.size
    while seq < target:
        events, nodes = [], []
        stop = min(seq + 20000, target)
        for n in range(seq, stop):
            body = tree.canonical_json({"i": n}).decode()
            event = Event(
                seq=n,
                recorded_at=at + dt.timedelta(microseconds=n),
                actor_id=None,
                actor_label="基准",
                agency_id=1,
                action="user.logged_in",
                object_type="user",
                object_id=str(n),
                payload=body,
                payload_hash=hashlib.sha256(body.encode()).hexdigest(),
            )
            leaf = merkle.leaf_hash(tree.entry_bytes(event))
            event.leaf_hash = leaf.hex()
            chain = hashlib.sha256(bytes.fromhex(chain) + leaf).hexdigest()
            event.chain_hash = chain
            events.append(event)
            nodes += [
                TreeNode(id=TreeNode.key(lvl, idx), level=lvl, index=idx, hash=h.hex())
                for lvl, idx, h in frontier.append(leaf)
            ]
        seq = stop
        with transaction.atomic():
            Event.objects.bulk_create(events, batch_size=2000)
            TreeNode.objects.bulk_create(nodes, batch_size=2000)
    with transaction.atomic():
        LedgerHead.objects.filter(pk=1).update(size=frontier.size, chain_hash=chain, frontier=frontier.dump())
    print(f"  (built {target:,} events in bulk in {time.perf_counter() - t0:.0f} s)", flush=True)


def bench_proofs() -> None:
    _grow_tree_in_bulk(PROOF_EVENTS)
    size, root = tree.tree_root()
    rng = random.Random(9162)
    picks = [rng.randrange(size) for _ in range(PROOFS)]
    for seq in picks[:20]:  # the proofs are right, not just fast
        leaf = bytes.fromhex(Event.objects.get(seq=seq).leaf_hash)
        merkle.verify_inclusion(seq, size, leaf, merkle.inclusion_proof(seq, size, tree.tree_fetch), root)

    t0 = time.perf_counter()
    for seq in picks:
        Event.objects.filter(seq=seq).values_list("leaf_hash", flat=True).first()
    fetch = (time.perf_counter() - t0) / PROOFS

    t0 = time.perf_counter()
    for seq in picks:
        merkle.inclusion_proof(seq, size, tree.tree_fetch)
    proof = (time.perf_counter() - t0) / PROOFS
    goal = "met" if proof < 0.005 else "NOT met"
    print(
        f"ledger inclusion proof ({connection.vendor}) at {size:,} events: {proof * 1000:.2f} ms each "
        f"({PROOFS} random leaves, {len(merkle.inclusion_proof(picks[0], size, tree.tree_fetch))} hashes); "
        f"baseline single indexed row fetch {fetch * 1000:.3f} ms; ratio {proof / fetch:.1f}x the baseline "
        f"(goal < 5 ms: {goal})"
    )


def main() -> int:
    original = _setup_database()
    try:
        print(f"ledger benchmark on {connection.vendor} ({connection.settings_dict['NAME']})", flush=True)
        bench_appends()
        bench_proofs()
    finally:
        if original is not None:
            connection.creation.destroy_test_db(original, verbosity=0)
        _tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
