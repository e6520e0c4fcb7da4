from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "liuhen.devices"
    label = "devices"
    verbose_name = "执法记录设备"
