"""The forms' renderer: Django's own templates, with a select and its options written in one pass.

Django renders every ``<option>`` of a select through templates of its own (``select_option.html``, which includes
``attrs.html``): the 520 time zones of the preferences form took 40 ms of the profile page. :class:`FormRenderer`
writes exactly what those templates write for ``select.html`` (one ``<select>``, its optgroups and options), as long
as they are Django's own templates, every option uses ``select_option.html`` and every label is text; anything else
renders through the templates as before. ``tests/psa/test_form_renderer.py`` compares the two byte for byte.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise, cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
_WRITTEN = (SELECT, OPTION, "django/forms/widgets/attrs.html")


class FormRenderer(DjangoTemplates):
    """``settings.FORM_RENDERER``: Django's template renderer, a select written without its templates."""

    def render(self, template_name: str, context: dict, request: Any = None) -> str:
        if template_name == SELECT and self._templates_are_djangos:
            html = select_html(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)

    @cached_property
    def _templates_are_djangos(self) -> bool:
        # An app's templates/django/forms/widgets/… would override them (APP_DIRS): then its templates render.
        import django.forms

        own = django.forms.__path__[0]
        return all(self.get_template(name).origin.name.startswith(own) for name in _WRITTEN)


def select_html(widget: dict) -> str | None:
    """``select.html``'s text for the widget's context, stripped as the renderer strips it; ``None`` for an option of
    another template or a label or group that is not text (the template would localise a number or a date)."""
    parts = [f'<select name="{text(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group, options, _index in widget["optgroups"]:
        if group and not _is_text(group):
            return None
        if group:
            parts.append(f'\n  <optgroup label="{text(group)}">')
        for option in options:
            if option["template_name"] != OPTION or not _is_text(option["label"]):
                return None
            value, attrs, label = text(option["value"]), attrs_html(option["attrs"]), text(option["label"])
            parts.append(f'\n  <option value="{value}"{attrs}>{label}</option>\n')  # the include's own newline
        if group:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def attrs_html(attrs: dict) -> str:
    """``attrs.html``: `` name="value"`` per attribute, `` name`` for ``True``, nothing for ``False``."""
    return "".join(
        f" {text(name)}" if value is True else f' {text(name)}="{text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str | Promise)


def text(value: Any) -> str:
    """``{{ value }}`` or ``{{ value|stringformat:'s' }}`` under autoescaping: safe text as it is, else escaped."""
    return value if isinstance(value, SafeData) else conditional_escape(str(value))
