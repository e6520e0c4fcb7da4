"""Real witnesses for tests: Ed25519 keys made here, cosignatures made with liuhen-witness's own code
(``liuhen.witness.tlog``), and the deployment configured to trust them through its settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.ledger import signing
from liuhen.witness import tlog


@dataclass
class TestWitness:
    name: str
    label: str = ""
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    __test__ = False  # not a test class

    @property
    def vkey(self) -> str:
        return tlog.vkey_for(self.name, tlog.ALG_COSIGNATURE_V1, tlog.public_raw(self.key))

    def cosign(self, cp, *, timestamp: int | None = None) -> str:
        """The cosignature line of checkpoint ``cp`` (a ``Checkpoint`` row or a note)."""
        note = cp if isinstance(cp, str) else cp.note
        ts = int(time.time()) if timestamp is None else timestamp
        return tlog.cosign(signing.note_body(note), name=self.name, key=self.key, timestamp=ts)


def configure(settings, witnesses: list[TestWitness], quorum: int | None = None) -> list[TestWitness]:
    settings.LIUHEN_WITNESSES = ",".join(f"{w.label}={w.vkey}" if w.label else w.vkey for w in witnesses)
    settings.LIUHEN_WITNESS_QUORUM = "" if quorum is None else str(quorum)
    return witnesses


def two_witnesses(settings, quorum: int | None = 2) -> list[TestWitness]:
    return configure(
        settings,
        [TestWitness("sfj.example.gov.cn/witness", "市司法局"), TestWitness("daj.example.gov.cn/witness", "市档案馆")],
        quorum,
    )
