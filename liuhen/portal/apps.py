from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that span apps: home, navigation, log-in, error pages, the demo. On top of every app."""

    name = "liuhen.portal"
    label = "portal"
    verbose_name = "门户"
