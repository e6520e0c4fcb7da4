"""Witnesses' cosignatures of checkpoints (ADR 0013), append-only like the rest of the ledger."""

import django.db.models.deletion
from django.db import migrations, models

from liuhen.ledger import guards


def install_guards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in guards.statements(connection.vendor, tables=("ledger_cosignature",)):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_rebuild_tree_and_guards")]

    operations = [
        migrations.CreateModel(
            name="Cosignature",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("witness", models.CharField(max_length=255, verbose_name="见证方密钥名称")),
                ("key_id", models.CharField(max_length=8, verbose_name="见证方密钥标识")),
                ("timestamp", models.BigIntegerField(verbose_name="见证时间（Unix 秒）")),
                ("line", models.TextField(verbose_name="见证签名行")),
                ("received_at", models.DateTimeField(verbose_name="收到时间")),
                (
                    "checkpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="cosignatures",
                        to="ledger.checkpoint",
                        verbose_name="检查点",
                    ),
                ),
            ],
            options={
                "verbose_name": "检查点见证签名",
                "ordering": ["checkpoint_id", "witness", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("checkpoint", "witness", "key_id"), name="ledger_cosignature_once")
                ],
            },
        ),
        # Dropping the table drops its triggers: nothing to undo.
        migrations.RunPython(install_guards, migrations.RunPython.noop),
    ]
