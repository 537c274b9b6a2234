"""The vault's technician UI: lists, the credential page (masked secrets, reveal, TOTP), forms, the type editor.

The pages use the API's filtersets, permission nodes and client scope: another client's credential is a 404, a
missing node a 403. Pages never contain a secure value; the reveal buttons call the audited reveal API with the
session (see static/credentials/vault.js). Every write is audited like its API counterpart.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from clients.models import Client
from credentials import services, vault
from credentials.api.serializers import CredentialSerializer, field_values
from credentials.api.views import REVEAL_NODES, credential_queryset
from credentials.filtersets import CredentialFilterSet
from credentials.forms import CredentialForm, CredentialTypeForm, NewCredentialStartForm
from credentials.models import Credential, CredentialType
from credentials.value_types import join_path
from psa import audit
from psa.access import client_scope, has_node, restrict
from psa.api.exceptions import Conflict, flatten_errors
from psa.forms import FIELD_LOCKS
from psa.models import AuditEvent
from psa.tabs import client_tabs
from psa.ui_gate import gate_form
from psa.views import deny_unless, gated_events, paginate, query_without_page, require_nodes

SECTION = "credentials"
LINK_LABELS = [
    ("contacts", "Contacts", "contact.read"),
    ("vendors", "Vendors", "vendor.read"),
    ("assets", "Assets", "asset.read"),
    ("software", "Software", "software.read"),
]


def _visible(request) -> frozenset[str]:
    """The credential fields the caller may see (field gating, as in the API)."""
    return CredentialSerializer(context={"request": request}).visible_fields()


def _live(request):
    return restrict(credential_queryset().filter(deleted_at__isnull=True), request)


def _get_credential(request, pk) -> Credential:
    return get_object_or_404(_live(request), pk=pk)


def _form_errors(form, exc: DRFValidationError) -> None:
    for error in flatten_errors(exc.detail):
        where = ".".join(str(p) for p in error["path"])
        form.add_error(None, f"{where}: {error['message']}" if where else error["message"])


def _vault_error(form, exc: vault.VaultError) -> None:
    form.add_error(None, f"The vault is unavailable, so secure values cannot be saved: {exc}")


# --- lists ----------------------------------------------------------------------------------------------------------


def _list_context(request, queryset, **extra) -> dict:
    filterset = CredentialFilterSet(request.GET or None, queryset=queryset, request=request)
    if not filterset.is_valid():
        filterset = CredentialFilterSet(None, queryset=queryset, request=request)
    return {
        "section": SECTION,
        "filter": filterset,
        "page": paginate(request, filterset.qs),
        "query": query_without_page(request),
        "types": CredentialType.objects.order_by("name"),
        "can_create": has_node(request, "credential.create"),
        "can_restore": has_node(request, "credential.restore"),
        "can_manage_types": has_node(request, "credential_type.read"),
        **extra,
    }


@require_nodes("credential.read")
def credential_list(request):
    queryset = _live(request).filter(parent__isnull=True).order_by("name", "id")
    context = _list_context(request, queryset, clients=restrict(Client.objects.order_by("name"), request))
    return render(request, "credentials/credential_list.html", context)


@require_nodes("credential.read")
def client_credentials(request, client_id):
    client = get_object_or_404(restrict(Client.objects.all(), request), pk=client_id)
    queryset = _live(request).filter(parent__isnull=True, client=client).order_by("name", "id")
    context = _list_context(request, queryset, client=client, tabs=client_tabs(request, client, "credentials"))
    context["section"] = "clients"  # a tab of the client page
    return render(request, "credentials/client_credentials.html", context)


@require_nodes("credential.read", "credential.restore")
def credential_trash(request):
    queryset = (
        restrict(credential_queryset(), request)
        .filter(deleted_at__isnull=False)
        .filter(Q(parent__isnull=True) | Q(parent__deleted_at__isnull=True))
        .order_by("-deleted_at", "id")
    )
    from django.conf import settings

    context = {
        "section": SECTION,
        "page": paginate(request, queryset),
        "query": query_without_page(request),
        "retention_days": settings.VAULT_PURGE_AFTER_DAYS,
    }
    return render(request, "credentials/credential_trash.html", context)


# --- the credential page --------------------------------------------------------------------------------------------


def _field_rows(request, credential: Credential) -> list[dict]:
    """The fields of a credential for display; secure ones masked, with their reveal and TOTP URLs."""
    rows = []
    for entry in field_values(credential):
        if entry["value_type"] == "multi_credential":
            continue
        row = dict(entry)
        if entry["secure"]:
            row["reveal_url"] = f"/api/v1/credentials/{credential.pk}/secure-values/{entry['id']}"
            if entry["value_type"] == "totp_secret":
                row["totp_url"] = f"/api/v1/credentials/{credential.pk}/totp?field_id={entry['id']}"
        rows.append(row)
    return rows


def _sub_groups(request, credential: Credential) -> list[dict]:
    """Each multi_credential field with its live sub-credentials (their fields included)."""
    children = list(
        restrict(credential_queryset(), request)
        .filter(parent=credential, deleted_at__isnull=True)
        .order_by("name", "id")
    )
    groups = []
    for spec in credential.definition:
        if spec["value_type"] != "multi_credential":
            continue
        path = join_path(credential.parent_field, spec["id"])
        members = [{"credential": c, "fields": _field_rows(request, c)} for c in children if c.parent_field == path]
        groups.append({"spec": spec, "members": members})
    return groups


@require_nodes("credential.read")
def credential_detail(request, pk):
    credential = _get_credential(request, pk)
    visible = _visible(request)
    reveal_node = credential.type.reveal_node
    can_reveal = "fields" in visible and all(has_node(request, n) for n in (*REVEAL_NODES, reveal_node))
    activity = None
    if has_node(request, "audit.read"):
        ids = [str(credential.pk), *(str(pk) for pk in credential.children.values_list("pk", flat=True))]
        events = restrict(AuditEvent.objects.filter(object_id__in=ids), request).order_by("-created_at")[:25]
        activity = gated_events(request, list(events))
    links = []
    for name, label, node_name in LINK_LABELS:
        objects = list(getattr(credential, name).all()) if has_node(request, node_name) else []
        if objects:
            links.append((label, objects))
    parents = []
    node = credential
    while node.parent_id:
        node = node.parent
        parents.insert(0, node)
    context = {
        "section": SECTION,
        "credential": credential,
        "parents": parents,
        "show_fields": "fields" in visible,
        "show_notes": "notes" in visible,
        "fields": _field_rows(request, credential) if "fields" in visible else [],
        "sub_groups": _sub_groups(request, credential) if "fields" in visible else [],
        "can_reveal": can_reveal,
        "reveal_node": reveal_node,
        "can_update": has_node(request, "credential.update"),
        "can_delete": has_node(request, "credential.delete"),
        "can_add_sub": has_node(request, "credential.sub_credentials.create"),
        "can_delete_sub": has_node(request, "credential.sub_credentials.delete"),
        "activity": activity,
        "links": links,
    }
    return render(request, "credentials/credential_detail.html", context)


# --- create and edit ------------------------------------------------------------------------------------------------


def _create(request, form: CredentialForm, *, client, credential_type, parent=None, parent_field="", definition):
    data = {
        "name": form.cleaned_data["name"],
        "notes": form.cleaned_data.get("notes") or "",
        "fields": form.field_items(),
        "sub_credentials": form.subs or None,
    }
    plan = services.plan_credential(definition, parent_field, data, budget=[services.MAX_SUB_CREDENTIALS])
    created: list = []
    with transaction.atomic():
        credential = services.create_from_plan(
            plan, client=client, type=credential_type, parent=parent, parent_field=parent_field, created=created
        )
        for relation, objects in form.links().items():
            if objects:
                getattr(credential, relation).set(objects)
        services.audit_created(request, created)
    return credential


@require_nodes("credential.create")
def credential_create(request):
    chosen = "client" in request.GET and "type" in request.GET
    start = NewCredentialStartForm(request.GET if chosen else None, request=request, initial=request.GET.dict())
    if not chosen or not start.is_valid():
        context = {"section": SECTION, "start": start}
        return render(request, "credentials/credential_start.html", context)
    client, credential_type = start.cleaned_data["client"], start.cleaned_data["type"]
    form = CredentialForm(request.POST or None, definition=credential_type.fields)
    form.add_links(request, client)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                credential = _create(
                    request, form, client=client, credential_type=credential_type, definition=credential_type.fields
                )
            except DRFValidationError as exc:
                _form_errors(form, exc)
            except vault.VaultError as exc:
                _vault_error(form, exc)
            else:
                messages.success(request, f"Credential “{credential.name}” saved.")
                return redirect("credentials:credential_detail", pk=credential.pk)
        status = 400
    context = {"section": SECTION, "form": form, "client": client, "credential_type": credential_type, "creating": True}
    return render(request, "credentials/credential_form.html", context, status=status)


@require_nodes("credential.read", "credential.sub_credentials.create")
def sub_credential_create(request, pk):
    parent = _get_credential(request, pk)
    field_id = request.GET.get("field", "")
    spec = next((f for f in parent.definition if f["id"] == field_id and f["value_type"] == "multi_credential"), None)
    if spec is None:
        raise Http404("No such multi_credential field.")
    path = join_path(parent.parent_field, field_id)
    form = CredentialForm(request.POST or None, definition=spec["sub_fields"], sub_rows=False)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                child = _create(
                    request,
                    form,
                    client=parent.client,
                    credential_type=parent.type,
                    parent=parent,
                    parent_field=path,
                    definition=spec["sub_fields"],
                )
            except DRFValidationError as exc:
                _form_errors(form, exc)
            except vault.VaultError as exc:
                _vault_error(form, exc)
            else:
                messages.success(request, f"{spec['name']}: “{child.name}” added.")
                return redirect("credentials:credential_detail", pk=parent.pk)
        status = 400
    context = {"section": SECTION, "form": form, "parent": parent, "spec": spec, "creating": True}
    return render(request, "credentials/credential_form.html", context, status=status)


@require_nodes("credential.update")
def credential_edit(request, pk):
    credential = _get_credential(request, pk)
    if not {"name", "fields", "notes"} <= _visible(request):
        raise PermissionDenied(
            "Editing needs the field nodes obj.credential.name, obj.credential.fields and obj.credential.notes."
        )
    existing = {e["id"]: (e["value"] if not e["secure"] else None, e["is_set"]) for e in field_values(credential)}
    initial = {"name": credential.name, "notes": credential.notes}
    form = CredentialForm(
        request.POST or None, definition=credential.definition, existing=existing, sub_rows=False, initial=initial
    )
    for lock in FIELD_LOCKS:  # fields a sync owns (a Hudu password's) are read-only, with a link to the source
        form.lock(lock(credential))
    current = {name: list(getattr(credential, name).all()) for name in ("contacts", "vendors", "assets", "software")}
    form.add_links(request, credential.client, current)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                values = services.plan_values(credential.definition, form.field_items(), creating=False)
                with transaction.atomic():
                    before = audit.snapshot(credential)
                    credential.name = form.cleaned_data["name"]
                    credential.notes = form.cleaned_data.get("notes") or ""
                    credential.save()
                    for relation, objects in form.links().items():
                        getattr(credential, relation).set(objects)
                    changed = services.apply_values(credential, values)
                    changes = audit.diff(before, audit.snapshot(credential))
                    if changed:
                        changes["secure_values"] = {"old": None, "new": changed}
                    if changes:
                        audit.record(request, "update", credential, changes=changes)
            except DRFValidationError as exc:
                _form_errors(form, exc)
            except vault.VaultError as exc:
                _vault_error(form, exc)
            else:
                messages.success(request, "Changes saved.")
                return redirect("credentials:credential_detail", pk=credential.pk)
        status = 400
    context = {"section": SECTION, "form": form, "credential": credential, "creating": False}
    return render(request, "credentials/credential_form.html", context, status=status)


@require_POST
@require_nodes("credential.read")
def credential_delete(request, pk):
    credential = _get_credential(request, pk)
    deny_unless(request, "credential.sub_credentials.delete" if credential.parent_id else "credential.delete")
    if credential.parent_id:
        field_id = credential.parent_field.rpartition(".")[2]
        spec = next((f for f in credential.parent.definition if f["id"] == field_id), None)
        live = credential.parent.children.filter(parent_field=credential.parent_field, deleted_at__isnull=True)
        if spec is not None and spec["required"] and live.count() <= 1:
            messages.error(request, f"{spec['name']} is required: the credential keeps at least one.")
            return redirect("credentials:credential_detail", pk=credential.parent_id)
    with transaction.atomic():
        services.soft_delete(credential, request.user)
        audit.record(
            request,
            "delete",
            credential,
            changes={"deleted_at": {"old": None, "new": credential.deleted_at.isoformat()}},
        )
    messages.success(request, f"“{credential.name}” deleted. It can be restored until it is purged.")
    if credential.parent_id:
        return redirect("credentials:credential_detail", pk=credential.parent_id)
    return redirect("credentials:credential_list")


@require_POST
@require_nodes("credential.read", "credential.restore")
def credential_restore(request, pk):
    credential = get_object_or_404(restrict(Credential.objects.all(), request), pk=pk)
    if credential.deleted_at is not None:
        try:
            with transaction.atomic():
                deleted_at = credential.deleted_at.isoformat()
                services.restore(credential)
                audit.record(request, "restore", credential, changes={"deleted_at": {"old": deleted_at, "new": None}})
        except Conflict as exc:
            messages.error(request, str(exc.detail))
            return redirect("credentials:credential_trash")
    messages.success(request, f"“{credential.name}” restored.")
    return redirect("credentials:credential_detail", pk=credential.pk)


# --- credential types -----------------------------------------------------------------------------------------------


@require_nodes("credential_type.read")
def type_list(request):
    counted = Q(credentials__deleted_at__isnull=True, credentials__parent__isnull=True)
    scope = client_scope(request)
    if scope is not None:
        counted &= Q(credentials__client_id__in=scope)
    types = CredentialType.objects.annotate(credential_count=Count("credentials", filter=counted)).order_by("name")
    context = {"section": SECTION, "types": types, "can_create": has_node(request, "credential_type.create")}
    return render(request, "credentials/type_list.html", context)


def _type_form(request, instance: CredentialType | None):
    creating = instance is None
    deny_unless(request, "credential_type.create" if creating else "credential_type.read")
    can_save = has_node(request, "credential_type.create" if creating else "credential_type.update")
    form = gate_form(CredentialTypeForm(request.POST or None, instance=instance), request)
    status = 200
    if request.method == "POST":
        deny_unless(request, "credential_type.create" if creating else "credential_type.update")
        if form.is_valid():
            in_use = (
                [] if creating else services.fields_in_use(instance, instance.fields, form.cleaned_data["fields_json"])
            )
            if in_use:
                form.add_error(
                    "fields_json",
                    f"These fields hold values and cannot be removed or change value type or secure flag: {', '.join(in_use)}.",
                )
            else:
                with transaction.atomic():
                    before = {} if creating else audit.snapshot(CredentialType.objects.get(pk=instance.pk))
                    saved = form.save()
                    changes = audit.diff(before, audit.snapshot(saved))
                    if changes:
                        audit.record(request, "create" if creating else "update", saved, changes=changes)
                messages.success(request, f"Credential type “{saved.name}” saved.")
                return redirect("credentials:type_list")
        status = 400
    from credentials.value_types import value_types_payload

    context = {
        "section": SECTION,
        "form": form,
        "credential_type": instance,
        "creating": creating,
        "can_save": can_save,
        "can_delete": not creating and has_node(request, "credential_type.delete"),
        "value_types": value_types_payload(),
    }
    return render(request, "credentials/type_form.html", context, status=status)


@require_nodes("credential_type.create")
def type_create(request):
    return _type_form(request, None)


@require_nodes("credential_type.read")
def type_edit(request, pk):
    return _type_form(request, get_object_or_404(CredentialType, pk=pk))


@require_POST
@require_nodes("credential_type.delete")
def type_delete(request, pk):
    credential_type = get_object_or_404(CredentialType, pk=pk)
    count = Credential.objects.filter(type=credential_type).count()
    if count:
        messages.error(request, f"“{credential_type.name}” still has {count} credential(s), deleted ones included.")
        return redirect("credentials:type_edit", pk=pk)
    with transaction.atomic():
        audit.record(request, "delete", credential_type, changes=audit.diff(audit.snapshot(credential_type), {}))
        credential_type.delete()
    messages.success(request, f"Credential type “{credential_type.name}” deleted.")
    return redirect(reverse("credentials:type_list"))
