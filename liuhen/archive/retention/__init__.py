"""Retention (保管期限), legal holds (冻结) and disposal (销毁) of every stored record (clauses
store-av-retention-min, store-av-permanent-longterm, store-text-retention,
integ-no-destroy-within-retention).

- ``terms``: the class each record gets from its agency's profile when stored; it only grows;
- ``records``: what a stored record is to retention, and its lookup for a user;
- ``holds``: holds that stop disposal until lifted; ``disposal``: batches proposed, approved and run
  (in the worker: ``disposal_run_task``, queued by ``disposal_start``);
- ``hooks``: what the archive does on the kernel's hooks (a record stored, a deletion refused);
- ``selectors``: a record's terms and holds, the batches, and what the pages offer;
- ``api``, ``views``, ``urls``: the same services for programs and for people.

Who may see and do what is decided by the archive's permission policies (``liuhen.archive.policies``).
"""
