"""The field gate on the technician UI's pages: every value a template reads goes through :mod:`psa.gating`.

The UI renders through the same gate as the API (issue 8 §2). Rather than asking each template to wrap each field in
``{% if gate.<scope>.<field> %}``, the template backend (:class:`GatedTemplates`, ``TEMPLATES`` in settings) renders
every page that has a request with a :class:`GatedContext`: each variable a template looks up is handed over as the
caller may see it. A model object becomes a :class:`GatedObject`, whose fields the caller may not see read as
:data:`HIDDEN` (the word "hidden", false in ``{% if %}``, an empty sequence in ``{% for %}``), and whose ``str()`` is
:data:`HIDDEN` unless every field it shows is visible. Querysets, managers, lists, dicts and the project's own objects
(panels, rows) hand over their contents the same way, so a value reached through a relation (``ticket.client.name``)
is gated by its own model's nodes. Inclusion tags render with a copy of the same context, so their rows are gated too.

Python code that builds text for a page (a select's option labels) asks the same gate with :func:`gated`. A caller
holding ``obj.*`` sees everything: nothing is wrapped for it.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.paginator import Page
from django.db import models
from django.db.models.manager import BaseManager
from django.forms import BaseForm, BoundField, ModelChoiceField
from django.http import HttpRequest
from django.template import RequestContext, TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates, reraise
from django.template.backends.django import Template as DjangoTemplate
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

from psa import gating
from psa.access import has_node

HIDDEN_TEXT = "hidden"
DISPLAY = re.compile(r"get_(\w+)_display")
PRIMITIVES = (
    str, bytes, int, float, bool, decimal.Decimal, datetime.date, datetime.time, datetime.timedelta, uuid.UUID,
    SafeData, type(None),
)  # fmt: skip
# Objects that are not the caller's data: what the page itself is made of (forms are gated by psa.forms).
PASSED_THROUGH = (HttpRequest, BaseForm, BoundField, gating.FieldGate)
NOT_WRAPPED = (*PRIMITIVES, *PASSED_THROUGH)


class Hidden(str):
    """A value the caller may not see: renders as "hidden", is false, and holds nothing to loop over."""

    def __new__(cls) -> Hidden:
        return super().__new__(cls, HIDDEN_TEXT)

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self):
        return iter(())


HIDDEN = Hidden()


@functools.cache
def _project_packages() -> frozenset[str]:
    """The top-level packages of this project's apps: their objects (panels, rows) may carry model objects."""
    base = str(settings.BASE_DIR)
    return frozenset(c.name.split(".")[0] for c in apps.get_app_configs() if str(c.path).startswith(base))


class Gate:
    """One caller's view of the objects a page shows; answers are cached for the request."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self.active = request is not None and not has_node(request, "obj.*")
        self._answers: dict[tuple[type, str], bool] = {}

    def visible(self, model: type[models.Model], name: str) -> bool:
        key = (model, name)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._decide(model, name)
        return answer

    def _decide(self, model: type[models.Model], name: str) -> bool:
        if name == "pk":
            return True
        display = DISPLAY.fullmatch(name)
        if display:
            name = display.group(1)
        if name == "__str__":
            return gating.repr_visible(self.request, model)
        return gating.attribute_visible(self.request, model, name)

    def wrap(self, value: Any) -> Any:
        """``value`` as the caller may see it (itself when there is nothing in it to gate)."""
        if not self.active or isinstance(value, (*NOT_WRAPPED, GatedProxy)):
            return value
        if isinstance(value, models.Model):
            return GatedObject(value, self)
        if isinstance(value, BaseManager | models.QuerySet):
            return GatedRows(value, self)
        if type(value) is dict:  # a real dict, so filters such as json_script take it
            return {key: self.wrap(item) for key, item in value.items()}
        if isinstance(value, Mapping):
            return GatedMapping(value, self)
        if type(value) is tuple:  # a plain tuple unpacks in {% for a, b in pairs %}
            return tuple(self.wrap(item) for item in value)
        if type(value) in (list, set, frozenset):
            return [self.wrap(item) for item in value]
        if callable(value) and not isinstance(value, type):
            return _gated_callable(value, self)
        if isinstance(value, Page) or type(value).__module__.split(".")[0] in _project_packages():
            return GatedRows(value, self)
        return value


def _gated_callable(function: Any, gate: Gate) -> Any:
    @functools.wraps(function)
    def call(*args, **kwargs):
        return gate.wrap(function(*args, **kwargs))

    for flag in ("alters_data", "do_not_call_in_templates"):
        if getattr(function, flag, False):
            setattr(call, flag, True)
    return call


class GatedProxy:
    """Forwards to the object it holds, handing over what it reads through the gate."""

    __slots__ = ("_gate", "_target")

    def __init__(self, target: Any, gate: Gate) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_gate", gate)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        return value if name.startswith("_") else self._gate.wrap(value)

    def __eq__(self, other: Any) -> bool:
        return self._target == unwrap(other)

    def __hash__(self) -> int:
        return hash(self._target)

    def __str__(self) -> str:
        return str(self._target)

    def __repr__(self) -> str:
        return f"<gated {self._target!r}>"


class GatedObject(GatedProxy):
    """A model object: each field (or serializer field, or property named like one) is asked of the gate."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        target = self._target
        if name.startswith("_"):
            return getattr(target, name)
        if not self._gate.visible(type(target), name):
            return HIDDEN
        return self._gate.wrap(getattr(target, name))

    def __str__(self) -> str:
        return str(self._target) if self._gate.visible(type(self._target), "__str__") else HIDDEN

    def __html__(self) -> str:
        return conditional_escape(str(self))


class GatedRows(GatedProxy):
    """A queryset, manager, page or project object: what it holds or returns is gated."""

    __slots__ = ()

    def __iter__(self):
        return (self._gate.wrap(item) for item in self._target)

    def __len__(self) -> int:
        return len(self._target)

    def __bool__(self) -> bool:
        return bool(self._target)

    def __getitem__(self, key: Any) -> Any:
        return self._gate.wrap(self._target[key])

    def __contains__(self, item: Any) -> bool:
        return unwrap(item) in self._target


class GatedMapping(GatedRows):
    __slots__ = ()

    def items(self):
        return [(key, self._gate.wrap(value)) for key, value in self._target.items()]

    def values(self):
        return [self._gate.wrap(value) for value in self._target.values()]

    def get(self, key: Any, default: Any = None) -> Any:
        return self._gate.wrap(self._target.get(key, default))


def unwrap(value: Any) -> Any:
    """The object a gated proxy holds (for code that queries with it), or ``value`` itself."""
    return object.__getattribute__(value, "_target") if isinstance(value, GatedProxy) else value


def gated(request: Any, value: Any) -> Any:
    """``value`` (an object, a queryset, a list) as the caller of ``request`` may see it, for Python-built text."""
    return Gate(request).wrap(value)


def gated_label(request: Any, obj: models.Model, label=str) -> str:
    """A choice's label as the caller may see it: ``label(obj)`` read through the gate; where that hides something,
    the start of the id follows, so the options stay apart."""
    text = str(label(gated(request, unwrap(obj))))
    return text if HIDDEN_TEXT not in text else f"{text} · {str(obj.pk)[:8]}"


def gate_form(form: BaseForm, request: Any, model: type[models.Model] | None = None) -> BaseForm:
    """A Django form as the caller may see it: each field holding a value of ``model`` (a model form's own by default)
    that the caller may not see is left out (so neither shown nor written), and every model choice is labelled
    through the gate."""
    gate = Gate(request)
    if not gate.active:
        return form
    model = model or getattr(getattr(form, "_meta", None), "model", None)
    for name, field in list(form.fields.items()):
        target = gating.model_field(model, name) if model is not None else None
        if target is not None and target.concrete and not target.is_relation and not gate.visible(model, name):
            del form.fields[name]
        elif isinstance(field, ModelChoiceField):
            field.label_from_instance = functools.partial(gated_label, request, label=field.label_from_instance)
    return form


class GatedContext(RequestContext):
    """A request context whose every looked-up variable is handed over through the caller's gate."""

    def __init__(self, request: HttpRequest, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.field_gate = Gate(request)

    def __getitem__(self, key: str) -> Any:
        return self.field_gate.wrap(super().__getitem__(key))


class GatedTemplate(DjangoTemplate):
    def render(self, context: dict | None = None, request: HttpRequest | None = None) -> str:
        if request is None:
            return super().render(context, request)
        if context is not None and not isinstance(context, dict):
            raise TypeError(f"context must be a dict rather than {context.__class__.__name__}.")
        gated_context = GatedContext(request, autoescape=self.backend.engine.autoescape)
        if context:
            gated_context.push(context)
        try:
            return self.template.render(gated_context)
        except TemplateDoesNotExist as exc:
            reraise(exc, self.backend)


class GatedTemplates(DjangoTemplates):
    """Django's template backend, rendering every page that has a request through the caller's field gate."""

    def from_string(self, template_code: str) -> GatedTemplate:
        return GatedTemplate(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> GatedTemplate:
        template = super().get_template(template_name)
        return GatedTemplate(template.template, self)
