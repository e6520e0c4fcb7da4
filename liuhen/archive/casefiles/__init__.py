"""立卷归档: a closed case becomes a case file, assembled, checked (DA/T 70) and archived (clauses
time-archive-30d, arch-case-file-complete).

- ``assembly``: the case file opened when the case closes; 组卷 — what stops it, the package built
  from the case's records (``liuhen.archive.bagit``) and checked, in the worker
  (``case_file_assemble_task``, queued by ``case_file_assembly_request``);
- ``contents``: what the package holds, record by record, in the profile's order;
- ``archiving``: the checks re-run on the package as it lies on disk, and 归档 by the records keeper;
- ``queue``: the archiving queue, a case's case file, its items and their downloads (each in the
  ledger), what the page offers;
- ``reminders``: the archiving deadline flagged before and after it is due;
- ``api``, ``views``, ``urls``: the same services for programs and for people.

Who may see, assemble and archive a case file is ``liuhen.archive.policies.case_file_policy``.
"""
