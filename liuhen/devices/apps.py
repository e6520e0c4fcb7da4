from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "liuhen.devices"
    label = "devices"
    verbose_name = "执法记录设备"

    def ready(self) -> None:
        from liuhen.devices.actions import DEVICE_ACTIONS
        from liuhen.devices.services import RECORDS
        from liuhen.ledger.actions import ACTIONS
        from liuhen.ledger.records import register

        for code, text in DEVICE_ACTIONS.items():
            ACTIONS.setdefault(code, text)
        # Write-once rows (and the never-changing columns of Device): each is created with its
        # event, whose payload carries these columns; ``manage.py verify`` compares them.
        for spec in RECORDS:
            register(spec)
