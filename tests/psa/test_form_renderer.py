"""The forms' renderer (psa/form_renderer.py): a select written in one pass is the text Django's templates write."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from psa import form_renderer
from psa.form_renderer import FormRenderer
from tests.factories import make_client

TEMPLATES = DjangoTemplates()
WRITTEN = FormRenderer()

CHOICES = [("", "---------"), ("a&b", 'A & <B> "quoted"'), ("c", gettext_lazy("Lazy")), ("d", mark_safe("<b>safe</b>"))]
GROUPS = [("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z"), ("Group 2", [(3, "Three")])]


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), "a&b", {"id": "id_f", "required": True}),
        (forms.Select(choices=CHOICES), None, {"id": "id_f", "class": 'wide "x"', "disabled": False, "data-on": True}),
        (forms.Select(choices=[]), None, {}),
        (forms.Select(choices=GROUPS), "y", {"aria-describedby": "id_f_helptext"}),
        (forms.SelectMultiple(choices=CHOICES), ["c", "d"], {"id": "id_m"}),
        (forms.SelectMultiple(choices=GROUPS), [3, "z"], {}),
        (forms.NullBooleanSelect(), True, {"id": "id_n"}),
        (forms.Select(choices=[(1, 1), (2, dt.date(2026, 12, 3))]), 2, {}),  # not text: the templates render it
        (forms.Select(choices=[(1, "one")], attrs={"size": 3}), 1, {"autofocus": True}),
    ],
)
def test_a_select_is_written_as_the_templates_write_it(widget, value, attrs):
    written = widget.render("f", value, attrs=attrs, renderer=WRITTEN)

    assert written == widget.render("f", value, attrs=attrs, renderer=TEMPLATES)
    assert written.startswith("<select") and written.endswith("</select>")


def test_only_a_select_of_text_labels_and_djangos_option_template_is_written():
    widget = forms.Select(choices=[("a", "A")]).get_context("f", "a", {})["widget"]
    assert form_renderer.select_html(widget) is not None
    widget["optgroups"][0][1][0]["template_name"] = "custom/option.html"
    assert form_renderer.select_html(widget) is None
    numbers = forms.Select(choices=[(1, 1)]).get_context("f", 1, {})["widget"]
    assert form_renderer.select_html(numbers) is None


@pytest.mark.django_db
def test_a_model_choice_field_renders_the_same_through_the_default_renderer():
    first, second = make_client("Acme & Co"), make_client("Zeta")
    clients = type(first).objects.order_by("name")
    form_class = type("F", (forms.Form,), {"client": forms.ModelChoiceField(queryset=clients, help_text="Pick one")})

    written = str(form_class(initial={"client": second.pk})["client"])

    assert settings.FORM_RENDERER == "psa.form_renderer.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)
    assert written == str(form_class(initial={"client": second.pk}, renderer=TEMPLATES)["client"])
    assert f'<option value="{second.pk}" selected>Zeta</option>' in written and "Acme &amp; Co" in written
    assert 'aria-describedby="id_client_helptext"' in written
