from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "liuhen.media"
    label = "media"
    verbose_name = "音像记录"
