"""Template helpers for forms shared by every app's pages."""

from __future__ import annotations

from html import escape

from django import template
from django.db import models
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.safestring import mark_safe

from psa import form_renderer, ui_gate
from psa.api import lean_rows

register = template.Library()


@register.filter
def error_count(form) -> int:
    """How many messages the error summary lists: every field message plus the form's own, not fields with errors."""
    if form is None or not getattr(form, "errors", None):
        return 0
    return sum(len(messages) for messages in form.errors.values())


@register.simple_tag(takes_context=True)
def options(context, choices, selected=None, label: str = "name") -> str:
    """The ``<option>`` elements of a select over many rows (every client, say), ``selected`` marked: one join of
    escaped text read with ``values_list``, not a template loop over model objects (2,000 clients took 60 ms of a
    ticket page that way). Labels go through the caller's field gate (:mod:`psa.ui_gate`) as ``{{ c.name }}`` would."""
    chosen = "" if selected is None else str(ui_gate.unwrap(selected))
    pairs = _option_pairs(context, choices, label)
    keys = [str(pk) for pk, _text in pairs]
    values, labels = _escaped(keys), _escaped([str(text) for _pk, text in pairs])
    return mark_safe(
        "".join(
            f'<option value="{value}"{" selected" if key == chosen else ""}>{text}</option>'
            for key, value, text in zip(keys, values, labels, strict=True)
        )
    )


def _escaped(texts: list[str]) -> list[str]:
    """Each text HTML-escaped, by one ``escape`` of them all joined (2,000 calls were 3 ms of a ticket page); one
    by one if a text holds the separator."""
    escaped = escape("\x00".join(texts)).split("\x00")
    return escaped if len(escaped) == len(texts) else [escape(text) for text in texts]


def _option_pairs(context, choices, label: str) -> list[tuple]:
    """``(pk, label)`` of each choice. A queryset's are read once per page render (a select repeated per row reads
    them once); it is the context's own object, alive for the whole render, so its ``id`` names it."""
    rows = ui_gate.unwrap(choices)
    if not isinstance(rows, QuerySet):
        return _gated_pairs(context, rows, label)
    key = ("psa_forms.options", id(rows), label)
    cache = context.render_context
    if key not in cache:
        gate = getattr(context, "field_gate", None)
        visible = gate is None or not gate.active or gate.visible(rows.model, label)
        cache[key] = _pairs(rows, label) if visible else _gated_pairs(context, rows, label)
    return cache[key]


def _pairs(rows: QuerySet, label: str) -> list[tuple]:
    """``values_list("pk", label)``, a UUID key read as its text: 2,000 clients' ids parsed into ``UUID`` objects and
    written back as text took a tenth of a ticket page."""
    query = rows.query
    if not isinstance(rows.model._meta.pk, models.UUIDField) or query.is_sliced or query.combinator:
        return list(rows.values_list("pk", label))
    found = list(rows.annotate(psa_pk_text=Cast("pk", TextField())).values_list("psa_pk_text", label))
    return list(zip(lean_rows.uuid_text([pk for pk, _text in found]), [text for _pk, text in found], strict=True))


def _gated_pairs(context, rows, label: str) -> list[tuple]:
    """Each object's label read through the gate, as the template loop did (a hidden one reads "hidden · <id>")."""
    request = getattr(context, "request", None)
    return [(obj.pk, ui_gate.gated_label(request, obj, lambda o: getattr(o, label))) for obj in rows]


@register.simple_tag
def choice_inputs(field) -> str:
    """Each choice of a checkbox list as ``<label class="choice" for=…><input …><span>label</span></label>``, the
    tags Django's widget templates write (:mod:`psa.form_renderer`'s writing), joined in one pass: the template loop
    rendered every ``<input>`` through its own widget template, 40 ms for 2,000 clients. The labels are the field's
    own (gated by :func:`psa.ui_gate.gate_form` where a form gates them); empty when there is nothing to choose."""
    return mark_safe("".join(map(_choice_input, field.subwidgets)))


def _choice_input(choice) -> str:
    data, text = choice.data, form_renderer.text
    value = "" if data["value"] is None else f' value="{text(data["value"])}"'
    attrs, label = form_renderer.attrs_html(data["attrs"]), text(choice.choice_label)
    return (
        f'<label class="choice" for="{text(choice.id_for_label)}"><input type="{text(data["type"])}" '
        f'name="{text(data["name"])}"{value}{attrs}><span>{label}</span></label>'
    )
