"""Sales API serializers: opportunities (gated by ``obj.opportunity.<field>``) and the note and reorder bodies."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import Client, Contact
from psa.api.serializers import GatedModelSerializer, PassiveSerializer
from psa.gating import value_visible
from sales.models import Opportunity

MAX_NOTE = 64 * 1024
MAX_LINES = 500


class OpportunitySerializer(GatedModelSerializer):
    """The mirrored opportunity; ``company``, ``site`` and ``activities`` come from the view's hydration."""

    gating_scope = "opportunity"
    gating_label = "Opportunity"
    source = serializers.CharField(source="lead_source", read_only=True, help_text="ConnectWise's lead source")
    company_id = serializers.UUIDField(source="client_id", read_only=True, allow_null=True)
    company = serializers.SerializerMethodField()
    contact = serializers.JSONField(source="contact_ref", read_only=True)
    site = serializers.SerializerMethodField()
    location = serializers.JSONField(source="location_ref", read_only=True)
    closed_flag = serializers.BooleanField(source="is_closed", read_only=True)
    activities = serializers.SerializerMethodField()

    gating_derived = {"company": ("company_id",), "site": ("location_id",)}

    class Meta:
        model = Opportunity
        fields = [
            "id", "cw_opportunity_id", "name", "notes", "type", "stage", "status", "priority", "rating", "source",
            "campaign", "primary_sales_rep", "sales_rep_id", "secondary_sales_rep", "company", "company_id",
            "contact", "contact_id", "site", "location_id", "customer_po", "total_sales_tax", "probability",
            "location", "department", "expected_close_date", "pipeline_change_date", "date_became_lead",
            "closed_date", "closed_flag", "closed_by", "custom_fields", "cw_last_updated", "archived_at",
            "created_at", "updated_at", "activities",
        ]  # fmt: skip
        read_only_fields = fields

    def _hydration(self):
        return self.context.get("hydration")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_company(self, obj) -> dict | None:
        hydration = self._hydration()
        company = hydration.company(obj) if hydration is not None else None
        return gated_company(self.context.get("request"), company)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_site(self, obj) -> dict | None:
        hydration = self._hydration()
        return hydration.site(obj) if hydration is not None else obj.site_ref

    @extend_schema_field({"type": "array", "items": {"type": "object"}, "nullable": True})
    def get_activities(self, obj) -> list | None:
        hydration = self._hydration()
        return hydration.activities_of(obj) if hydration is not None else None


# The hydrated company's keys that are a client's or a contact's own fields: each follows that model's field gate.
COMPANY_FIELDS = {"name": "name", "cw_identifier": "cw_identifier", "cw_company_id": "cw_company_id"}
CONTACT_FIELDS = ("first_name", "last_name", "title", "phone", "email")


def gated_company(request, company: dict | None) -> dict | None:
    """The hydrated company as the caller may see it: the client's and its contacts' hidden fields are left out."""
    if company is None or request is None:
        return company
    shown = {key: value for key, value in company.items() if key not in COMPANY_FIELDS}
    shown.update(
        {
            key: company[key]
            for key, field in COMPANY_FIELDS.items()
            if key in company and value_visible(request, Client, field)
        }
    )
    data = dict(company.get("cw_data") or {})
    if "address" in data and not value_visible(request, Client, "address"):
        data.pop("address")
    hidden = [name for name in CONTACT_FIELDS if not value_visible(request, Contact, name)]
    data["all_contacts"] = [
        {key: value for key, value in person.items() if key not in hidden} for person in data.get("all_contacts", [])
    ]
    shown["cw_data"] = data
    return shown


class NoteCreateSerializer(PassiveSerializer):
    text = serializers.CharField(max_length=MAX_NOTE, trim_whitespace=True)
    flagged = serializers.BooleanField(required=False, default=False)


class NoteUpdateSerializer(PassiveSerializer):
    min_fields = 1  # the schema's minProperties (psa.api.schema)
    text = serializers.CharField(max_length=MAX_NOTE, trim_whitespace=True, required=False)
    flagged = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"text": ["Send text, flagged or both."]})
        return attrs


class SequenceSerializer(PassiveSerializer):
    ordered_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=MAX_LINES,
        help_text="Every forecast line id of the opportunity, in the new order (position = sequence number)",
    )  # fmt: skip

    def validate_ordered_ids(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("An id appears more than once.")
        return value
