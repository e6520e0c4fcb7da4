"""Evidence discs (刻制光盘) of a case's AV records and documents (clause arch-av-evidence-disc).

- ``selection``: what of a case may go on a disc, the chosen records and their fit on a medium;
- ``requests``: the records keeper's request (``disc_request``), which queues the build;
- ``build``: the image written, read back and verified in the worker (``disc_build``, its task
  ``disc_build_task`` beside it);
- ``verify``: a stored image re-read later (``disc_verify``, ``manage.py disc_verify``);
- ``selectors``: the discs of a case, the downloads (each in the ledger), the statements filed with
  the case file;
- ``api``, ``views``, ``urls``: the same services for programs and for people.

The image itself is made by ``liuhen.archive.bagit.disc_image`` (no Django); who may see, request and
download a disc is ``liuhen.archive.policies.evidence_disc_policy``.
"""
