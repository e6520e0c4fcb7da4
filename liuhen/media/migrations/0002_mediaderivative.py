# Previews and thumbnails of AV records (liuhen.media.derivatives).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blobstore", "0002_append_only_triggers"),
        ("media", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MediaDerivative",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("preview", "预览"), ("thumbnail", "缩略图")], max_length=12, verbose_name="种类"
                    ),
                ),
                ("content_type", models.CharField(max_length=64, verbose_name="类型")),
                ("size", models.BigIntegerField(verbose_name="大小（字节）")),
                ("width", models.PositiveIntegerField(blank=True, null=True, verbose_name="宽")),
                ("height", models.PositiveIntegerField(blank=True, null=True, verbose_name="高")),
                ("duration", models.FloatField(blank=True, null=True, verbose_name="时长（秒）")),
                ("made_at", models.DateTimeField(verbose_name="生成时间")),
                ("program", models.CharField(max_length=120, verbose_name="生成程序")),
                (
                    "blob",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="blobstore.blob",
                        verbose_name="派生文件",
                    ),
                ),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="derivatives",
                        to="media.mediarecord",
                    ),
                ),
            ],
            options={
                "verbose_name": "音像记录预览",
                "verbose_name_plural": "音像记录预览",
                "ordering": ["made_at", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("record", "kind"), name="media_derivative_one_per_kind")
                ],
            },
        ),
    ]
