"""送达: delivering a finalised document by a lawful method, with the proof that method requires.

- ``rules``: the methods, their facts and proof files, what must be served (pure);
- ``services``: recording a delivery, reading a proof file; ``selectors``: what was served, the guard;
- ``api``, ``views``, ``urls``: the ``/api/deliveries/`` endpoints and the delivery pages.

Other apps import what is named here: ``from liuhen.documents import delivery``.
"""

from __future__ import annotations

from liuhen.documents.delivery.rules import (
    ELECTRONIC_CHANNELS,
    METHOD_DETAILS,
    METHOD_RULES,
    METHODS,
    POSTAL_CARRIERS,
    PROOF_KINDS,
    RECORD_FIELDS,
    ProofFile,
    av_item,
    is_decision,
    is_delivery_stage,
    must_be_served,
)
from liuhen.documents.delivery.selectors import (
    av_requirements,
    deliveries_of_version,
    delivery_requirements,
    delivery_state,
    effective,
    served_versions,
)
from liuhen.documents.delivery.services import delivery_proof_read, delivery_record, record_payload
from liuhen.documents.errors import DeliveryInvalid, DeliveryRefused

__all__ = [
    "ELECTRONIC_CHANNELS",
    "METHODS",
    "METHOD_DETAILS",
    "METHOD_RULES",
    "POSTAL_CARRIERS",
    "PROOF_KINDS",
    "RECORD_FIELDS",
    "DeliveryInvalid",
    "DeliveryRefused",
    "ProofFile",
    "av_item",
    "av_requirements",
    "deliveries_of_version",
    "delivery_proof_read",
    "delivery_record",
    "delivery_requirements",
    "delivery_state",
    "effective",
    "is_decision",
    "is_delivery_stage",
    "must_be_served",
    "record_payload",
    "served_versions",
]
