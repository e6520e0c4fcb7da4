from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class LedgerConfig(AppConfig):
    name = "liuhen.ledger"
    label = "ledger"
    verbose_name = "留痕账本"

    def ready(self) -> None:
        from liuhen.ledger import guards

        def install_guards(sender, using="default", **kwargs) -> None:
            """After every migrate (and flush): the append-only and write-once triggers, re-created if a
            migration rebuilt a table (SQLite drops a table's triggers with it). Idempotent."""
            guards.create(connections[using])

        # migrate applies every migration before it sends post_migrate (once per app): the ledger's
        # own signal is enough, and by then every write-once table exists.
        post_migrate.connect(install_guards, sender=self, weak=False, dispatch_uid="ledger.install_guards")
