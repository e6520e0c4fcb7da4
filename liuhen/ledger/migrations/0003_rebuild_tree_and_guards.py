"""Build the Merkle tree for events recorded before it existed, then install the append-only guards."""

from django.db import migrations

from liuhen.ledger import guards, merkle


def rebuild_tree(apps, schema_editor):
    Event = apps.get_model("ledger", "Event")
    LedgerHead = apps.get_model("ledger", "LedgerHead")
    TreeNode = apps.get_model("ledger", "TreeNode")
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None or head.frontier or not head.size:
        return
    frontier = merkle.Frontier()
    batch = []
    for leaf in Event.objects.order_by("seq").values_list("leaf_hash", flat=True).iterator(chunk_size=2000):
        for level, index, h in frontier.append(bytes.fromhex(leaf)):
            batch.append(TreeNode(id=(level << 56) | index, level=level, index=index, hash=h.hex()))
        if len(batch) >= 2000:
            TreeNode.objects.bulk_create(batch)
            batch = []
    TreeNode.objects.bulk_create(batch)
    LedgerHead.objects.filter(pk=1).update(frontier=frontier.dump())


def install_guards(apps, schema_editor):
    guards.create_ledger(schema_editor.connection)


def remove_guards(apps, schema_editor):
    guards.drop_ledger(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_tree_checkpoints_reports")]

    operations = [
        migrations.RunPython(rebuild_tree, migrations.RunPython.noop),
        migrations.RunPython(install_guards, remove_guards),
    ]
