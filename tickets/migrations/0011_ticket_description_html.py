"""Tickets store their description's rendered HTML (rendered once on save, as comments do); existing tickets are
rendered here. The column is nullable so that SQLite adds it in place (see ``Ticket.description_html``)."""

from django.db import migrations, models
from django.db.models import Q

BATCH = 1_000


def render_existing(apps, schema_editor):
    # The same renderer the model uses on save, so stored and newly written HTML are escaped and sanitised alike.
    from tickets.markdown import render

    Ticket = apps.get_model("tickets", "Ticket")
    rows = Ticket.objects.filter(Q(description_html="") | Q(description_html=None)).exclude(description="").order_by("pk")
    rendered: dict[str, str] = {}  # generated and imported descriptions repeat: each text rendered once
    last = None
    while True:
        batch = list((rows.filter(pk__gt=last) if last is not None else rows).only("pk", "description")[:BATCH])
        if not batch:
            return
        for ticket in batch:
            html = rendered.get(ticket.description)
            if html is None:
                html = render(ticket.description)
                if len(rendered) < 10_000:
                    rendered[ticket.description] = html
            ticket.description_html = html
        # In statements of 100: each is a CASE over its rows, whose cost grows with the square of their number.
        Ticket.objects.bulk_update(batch, ["description_html"], batch_size=100)
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_ticket_stats_counters"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="description_html",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
