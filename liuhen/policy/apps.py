from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "liuhen.policy"
    label = "policy"
    verbose_name = "执法规则配置"

    def ready(self) -> None:
        from liuhen.policy import checks  # noqa: F401  (registers the profile system check)
