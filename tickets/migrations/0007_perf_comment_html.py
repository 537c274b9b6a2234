"""Comments store their rendered HTML (rendered once on save); existing comments are rendered here."""

from django.db import migrations, models

BATCH = 500


def render_existing(apps, schema_editor):
    # The same renderer the model uses on save, so stored and newly written HTML are escaped and sanitised alike.
    from tickets.markdown import render

    Comment = apps.get_model("tickets", "Comment")
    rows = Comment.objects.filter(text_html="").exclude(text="").order_by("pk")
    last = None
    while True:
        batch = list((rows.filter(pk__gt=last) if last is not None else rows).only("pk", "text")[:BATCH])
        if not batch:
            return
        for comment in batch:
            comment.text_html = render(comment.text)
        Comment.objects.bulk_update(batch, ["text_html"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_perf_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="text_html",
            field=models.TextField(blank=True, editable=False, max_length=200000),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
