from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "liuhen.org"
    label = "org"
    verbose_name = "组织与人员"

    def ready(self) -> None:
        from liuhen.org import signals  # noqa: F401  (log-in events into the ledger)
