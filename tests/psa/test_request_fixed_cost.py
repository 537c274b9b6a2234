"""Work a request does not use is skipped, and nothing else (psa.api.viewsets.FilterBackend, SortBackend; the
generations file)."""

from __future__ import annotations

import django_filters
import pytest
from django.http import QueryDict
from rest_framework.test import APIRequestFactory

from assets.api.views import AssetViewSet
from assets.filtersets import AssetFilterSet
from assets.models import Asset
from catalog.procurement_filtersets import ProcurementFilterSet
from clients.filtersets import ClientFilterSet
from clients.models import Client
from psa import generations
from psa.api import viewsets
from psa.filtersets import BaseFilterSet
from tests.factories import api_for, make_client, make_user
from tests.psa.helpers import data_of, error_of, ids_of

pytestmark = pytest.mark.django_db


def _view(path: str, action: str = "list") -> tuple[AssetViewSet, object]:
    from rest_framework.request import Request

    request = Request(APIRequestFactory().get(path))
    request.user = make_user(["asset.read", "obj.*"])
    view = AssetViewSet(request=request, action=action, format_kwarg=None, kwargs={})
    return view, request


def test_a_filterset_that_filters_nothing_without_parameters_is_skipped_when_none_is_sent():
    view, request = _view("/api/v1/assets?limit=5")
    queryset = Asset.objects.all()
    assert viewsets.FilterBackend().filter_queryset(request, queryset, view) is queryset


def test_a_filterset_runs_whenever_one_of_its_parameters_is_sent():
    view, request = _view("/api/v1/assets?serial=ABC")
    queryset = Asset.objects.all()
    filtered = viewsets.FilterBackend().filter_queryset(request, queryset, view)
    assert filtered is not queryset
    assert "serial" in str(filtered.query).lower()


def test_a_parameter_named_after_a_filter_runs_the_filterset():
    # A filter may read <name>_<suffix> (ranges): such a parameter is never taken for one it does not read.
    assert viewsets._reads_any(AssetFilterSet, ["serial_after"])
    assert not viewsets._reads_any(AssetFilterSet, ["limit", "page", "sort", "order"])


def test_which_filtersets_count_as_filtering_nothing_without_parameters():
    assert viewsets._probe_idle(AssetFilterSet, Asset.objects.all())  # its MAC filter passes an empty value
    assert viewsets._probe_idle(ClientFilterSet, Client.objects.all())
    # Leaving include_inactive out means "active only": a default of its own, so it always runs.
    assert not viewsets._probe_idle(ProcurementFilterSet, ProcurementFilterSet._meta.model.objects.all())


class _RequiredFilterSet(BaseFilterSet):
    name = django_filters.CharFilter(required=True)

    class Meta:
        model = Client
        fields: list[str] = []


class _DefaultingFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        return qs.filter(name__startswith=value or "A")


class _DefaultingFilterSet(BaseFilterSet):
    name = _DefaultingFilter()

    class Meta:
        model = Client
        fields: list[str] = []


def test_a_required_filter_or_one_acting_on_an_empty_value_keeps_the_filterset_running():
    assert not viewsets._probe_idle(_RequiredFilterSet, Client.objects.all())
    assert not viewsets._probe_idle(_DefaultingFilterSet, Client.objects.all())


def test_a_procurement_list_without_parameters_still_shows_active_items_only():
    from catalog.models import CatalogItem

    queryset = CatalogItem.objects.all()
    view, request = _view("/api/v1/catalog/items")
    view.filterset_class = ProcurementFilterSet
    filtered = viewsets.FilterBackend().filter_queryset(request, queryset, view)
    assert "is_active" in str(filtered.query)


def test_a_retrieve_builds_no_ordering_but_still_refuses_a_bad_sort_and_keeps_the_scope():
    view, request = _view("/api/v1/assets/x", action="retrieve")
    queryset = Asset.objects.all()
    assert viewsets.SortBackend().filter_queryset(request, queryset, view) is queryset
    mine, other = make_client(), make_client()
    api, _, _ = api_for(["asset.read"], clients=[mine])
    seen = Asset.objects.create(client=mine, name="seen")
    hidden = Asset.objects.create(client=other, name="hidden")
    assert data_of(api.get(f"/api/v1/assets/{seen.pk}"))["id"] == str(seen.pk)
    error_of(api.get(f"/api/v1/assets/{hidden.pk}"), 404, "NOT_FOUND")
    error_of(api.get(f"/api/v1/assets/{seen.pk}?sort=name"), 400, "VALIDATION_ERROR")
    assert ids_of(api.get("/api/v1/assets")) == [str(seen.pk)]


def test_every_generation_is_read_from_the_file_once_per_request(monkeypatch, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    reads = []
    read_file = generations._read_file
    monkeypatch.setattr(generations, "_read_file", lambda: reads.append(1) or read_file())
    generations._publish(generations.REFERENCE)
    reads.clear()
    with generations.request_scope():
        access = generations.current(generations.ACCESS)
        reference = generations.current(generations.REFERENCE)
        generations.current("ratelimit-rare")
    assert len(reads) == 1
    generations._publish(generations.ACCESS)  # another process: seen from the next request on
    with generations.request_scope():
        assert generations.current(generations.ACCESS)[1] == access[1] + 1
        assert generations.current(generations.REFERENCE) == reference


def test_a_bound_filter_form_holds_only_the_filters_sent_and_those_acting_when_absent():
    from tickets.filtersets import TicketFilterSet

    clients = ClientFilterSet(QueryDict("search=acme&limit=5"), queryset=Client.objects.all())
    assert list(clients.form.fields) == ["search"]
    tickets = TicketFilterSet(QueryDict("status_name=Open&is_open=true&sort=title"))
    assert sorted(tickets.form.fields) == ["is_open", "status_name"]
    # A filter filtering on an empty value, and a required one (its error is still reported), stay in the form.
    assert list(_DefaultingFilterSet(QueryDict("search=x"), queryset=Client.objects.all()).form.fields) == [
        "search", "name",
    ]  # fmt: skip
    required = _RequiredFilterSet(QueryDict(""), queryset=Client.objects.all())
    assert not required.is_valid() and "name" in required.errors
    # An unbound filterset (a UI page's first visit) keeps every field for the page to show.
    assert len(ClientFilterSet(None, queryset=Client.objects.all()).form.fields) == len(ClientFilterSet.base_filters)


def test_the_sparse_form_filters_a_ui_list_as_the_full_form_would():
    make_client(name="Acme Dental")
    make_client(name="Initech")
    for query in ("search=acme", "search=acme&is_active=true", "is_active=false", ""):
        sparse = ClientFilterSet(QueryDict(query), queryset=Client.objects.all())
        full = ClientFilterSet(QueryDict(query), queryset=Client.objects.all())
        full._form = full.get_form_class()(full.data)  # the form of every filter
        assert sparse.is_valid() and full.is_valid()
        assert list(sparse.qs.order_by("name")) == list(full.qs.order_by("name")), query
