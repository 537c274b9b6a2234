"""UI pages for the signed-in user's profile and API keys, and the user and role administration pages.

Every page checks the same permission nodes as the matching API route, and every write is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from accounts import mobile_views, passwords, preferences, two_factor
from accounts import profile as profile_details
from accounts.api.views import ensure_can_grant, users_within_scope
from accounts.filtersets import RoleFilterSet, UserFilterSet
from accounts.forms import ApiKeyForm, ConfirmOwnPasswordForm, RoleForm, UserCreateForm, UserForm
from accounts.models import ApiKey, Role, User
from psa import audit
from psa.access import client_scope, has_node, is_scoped
from psa.views import deny_unless, paginate, query_without_page, require_nodes

SCOPED_REFUSAL = (
    "You are limited to some clients, so you cannot change users or roles: they are shared by every client. "
    "Ask an administrator who sees every client."
)


def deny_scoped(request) -> None:
    """Client scope is a ceiling (psa.access.is_scoped): a scoped user manages only their own profile and keys."""
    if is_scoped(request):
        raise PermissionDenied(SCOPED_REFUSAL)


# --- Profile and API keys -----------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def profile(request, details_form=None):
    """The user's details and API keys. A new key is rendered once, in the response to the POST that made it.

    ``details_form`` is the name and email form sent back with its errors (``accounts.profile``): a 400.
    """
    can = {
        "read_keys": has_node(request, "api_key.read"),
        "create_keys": has_node(request, "api_key.create"),
        "revoke_keys": has_node(request, "api_key.delete"),
    }
    new_key = plaintext = None
    status = 200 if details_form is None else 400
    form = ApiKeyForm(request=request) if can["create_keys"] else None
    if request.method == "POST" and details_form is None:
        deny_unless(request, "api_key.create")
        form = ApiKeyForm(request.POST, request=request)
        if form.is_valid():
            with transaction.atomic():
                new_key, plaintext = ApiKey.issue(
                    owner=request.user,
                    description=form.cleaned_data["description"],
                    expires_at=form.expires_at(),
                    purpose=form.cleaned_data["purpose"],
                    clients=form.key_clients(),
                )
                audit.record(request, "create", new_key, changes=audit.diff({}, audit.snapshot(new_key)))
            form = ApiKeyForm(request=request)
        else:
            status = 400
    keys = None
    if can["read_keys"]:
        # Mobile sessions' hourly access keys are listed as sessions (below), not one row per refresh.
        owned = ApiKey.objects.filter(owner=request.user).exclude(purpose=ApiKey.Purpose.MOBILE_SESSION)
        keys = list(owned.prefetch_related("allowed_clients"))
        now = timezone.now()
        for key in keys:
            key.state = "revoked" if not key.is_active else "expired" if key.expires_at <= now else "active"
    user = User.objects.prefetch_related("roles", "allowed_clients").get(pk=request.user.pk)
    context = {
        "section": "profile",
        "profile_user": user,
        "can": can,
        "form": form,
        "keys": keys,
        "new_key": new_key,
        "new_key_plaintext": plaintext,
        "user_scoped": client_scope(request) is not None,
        "mobile_sessions": mobile_views.sessions_of(request.user),
        "preferences_form": preferences.form_for(request.user),
        "details_form": details_form or profile_details.form_for(request),
        "can_write_details": has_node(request, "user.write"),
        "two_factor_on": two_factor.is_enrolled(request.user),
    }
    return render(request, "accounts/profile.html", context, status=status)


@require_POST
@require_nodes("api_key.delete")
def revoke_key(request, pk):
    key = get_object_or_404(ApiKey, pk=pk, owner=request.user)
    if not key.is_active:
        messages.info(request, f"The key {key.prefix} was already revoked.")
    else:
        with transaction.atomic():
            before = audit.snapshot(key)
            key.deactivate()
            audit.record(request, "deactivate", key, changes=audit.diff(before, audit.snapshot(key)))
        messages.success(request, f"Revoked the key \u201c{key.description}\u201d ({key.prefix}). It no longer works.")
    return redirect(reverse("accounts:profile") + "#api-keys")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def password_change(request):
    """Change one's own password with the current one; other sessions end, this one stays signed in."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            passwords.change_own_password(request, request.user, form.cleaned_data["new_password1"])
            messages.success(request, "Your password was changed. Your other sessions were signed out.")
            return redirect("accounts:profile")
        return render(request, "accounts/password_change.html", {"section": "profile", "form": form}, status=400)
    return render(request, "accounts/password_change.html", {"section": "profile", "form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password through a one-time link an administrator issued; every session of the user ends."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = "/login/"

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.record_reset_used(self.request, form.user)
        messages.success(self.request, "Your new password is set. Sign in with it.")
        return response


# --- Users --------------------------------------------------------------------------------------------------------


@require_nodes("user.read.other", "user.list.other")  # as the API's GET /users
def user_list(request):
    queryset = users_within_scope(User.objects.prefetch_related("roles"), request)
    filterset = UserFilterSet(request.GET or None, queryset=queryset, request=request)
    context = {
        "section": "users",
        "filter": filterset,
        "page": paginate(request, filterset.qs),
        "query": query_without_page(request),
        "roles": Role.objects.all(),
        "can_create": has_node(request, "user.create.other"),
    }
    return render(request, "accounts/user_list.html", context)


def _reset_refusal(request, subject: User) -> str | None:
    """Why the caller may not reset ``subject``'s password, or ``None``."""
    if subject.pk == request.user.pk:
        return "Change your own password on your profile page."
    if is_scoped(request):
        return SCOPED_REFUSAL
    try:  # resetting a password is acting as that user: only for users whose every node the caller holds too
        ensure_can_grant(request, subject.effective_nodes())
    except ApiPermissionDenied as exc:
        return f"You cannot reset this user's password: {exc.detail}"
    return None


def _user_form_flags(request) -> dict:
    return {
        "can_roles": has_node(request, "user.roles.other"),
        "can_permissions": has_node(request, "user.permissions.other"),
    }


@never_cache
@require_http_methods(["GET", "POST"])
@require_nodes("user.create.other")
def user_create(request):
    deny_scoped(request)
    status = 200
    if request.method == "POST":
        form = UserCreateForm(request.POST, request=request, **_user_form_flags(request))
        if form.is_valid():
            with transaction.atomic():
                user = form.save()
                audit.record(request, "create", user, changes=audit.diff({}, audit.snapshot(user)))
                link = passwords.issue_reset_link(request, user)
            messages.success(request, f"Created the user {user.login}.")
            return _render_user(request, user, reset_link=link)
        status = 400
    else:
        form = UserCreateForm(request=request, **_user_form_flags(request))
    context = {"section": "users", "form": form, "creating": True, "can_write": True}
    return render(request, "accounts/user_form.html", context, status=status)


def _subject(request, pk) -> User:
    queryset = users_within_scope(User.objects.prefetch_related("roles", "allowed_clients"), request)
    return get_object_or_404(queryset, pk=pk)


def _render_user(request, subject: User, form=None, reset_form=None, reset_link=None, status=200):
    can_write = has_node(request, "user.write.other") and not is_scoped(request)
    if form is None:
        form = UserForm(instance=subject, request=request, can_write=can_write, **_user_form_flags(request))
    refusal = _reset_refusal(request, subject)
    context = {
        "section": "users",
        "form": form,
        "subject": subject,
        "creating": False,
        "can_write": can_write,
        "scoped_notice": SCOPED_REFUSAL if is_scoped(request) and has_node(request, "user.write.other") else None,
        "can_reset": can_write and refusal is None,
        "reset_refusal": refusal if can_write else None,
        "reset_form": reset_form or ConfirmOwnPasswordForm(user=request.user),
        "reset_link": reset_link,
        "reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "can_reset_two_factor": has_node(request, "user.two_factor.other") and not is_scoped(request),
        "subject_two_factor": two_factor.confirmed_device(subject),
    }
    return render(request, "accounts/user_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@require_nodes("user.read.other")
def user_detail(request, pk):
    subject = _subject(request, pk)
    if request.method != "POST":
        return _render_user(request, subject)
    deny_unless(request, "user.write.other")
    deny_scoped(request)
    form = UserForm(request.POST, instance=subject, request=request, **_user_form_flags(request))
    before = audit.snapshot(subject)
    if not form.is_valid():
        return _render_user(request, subject, form=form, status=400)
    with transaction.atomic():
        user = form.save()
        changes = audit.diff(before, audit.snapshot(user))
        if changes:
            audit.record(request, "update", user, changes=changes)
    messages.success(request, f"Saved the user {user.login}." if changes else "Nothing changed.")
    return redirect("accounts:user_detail", pk=user.pk)


@never_cache
@require_POST
@require_nodes("user.read.other", "user.write.other")
def user_password_reset(request, pk):
    """Issue a one-time link for ``pk`` to choose a new password, after the administrator re-enters their own.

    The old password stops working and the user's sessions end; the link is shown once, in this response.
    """
    subject = _subject(request, pk)
    deny_scoped(request)
    if (refusal := _reset_refusal(request, subject)) is not None:
        raise PermissionDenied(refusal)
    form = ConfirmOwnPasswordForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_user(request, subject, reset_form=form, status=400)
    link = passwords.issue_reset_link(request, subject)
    return _render_user(request, subject, reset_link=link)


# --- Roles --------------------------------------------------------------------------------------------------------


@require_nodes("role.read")
def role_list(request):
    queryset = Role.objects.annotate(user_count=Count("users", distinct=True)).order_by("title", "id")
    filterset = RoleFilterSet(request.GET or None, queryset=queryset, request=request)
    context = {
        "section": "roles",
        "filter": filterset,
        "page": paginate(request, filterset.qs),
        "query": query_without_page(request),
        "can_create": has_node(request, "role.create"),
    }
    return render(request, "accounts/role_list.html", context)


@require_http_methods(["GET", "POST"])
@require_nodes("role.create")
def role_create(request):
    deny_scoped(request)
    status = 200
    if request.method == "POST":
        form = RoleForm(request.POST, request=request)
        if form.is_valid():
            with transaction.atomic():
                role = form.save()
                audit.record(request, "create", role, changes=audit.diff({}, audit.snapshot(role)))
            messages.success(request, f"Created the role {role.title}.")
            return redirect("accounts:role_detail", pk=role.pk)
        status = 400
    else:
        form = RoleForm(request=request)
    context = {"section": "roles", "form": form, "creating": True, "can_modify": True, "can_delete": False}
    return render(request, "accounts/role_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@require_nodes("role.read")
def role_detail(request, pk):
    role = get_object_or_404(Role, pk=pk)
    can_modify = has_node(request, "role.modify") and not is_scoped(request)
    status = 200
    if request.method == "POST":
        deny_unless(request, "role.modify")
        deny_scoped(request)
        before = audit.snapshot(role)
        form = RoleForm(request.POST, instance=role, request=request)
        if form.is_valid():
            with transaction.atomic():
                role = form.save()
                changes = audit.diff(before, audit.snapshot(role))
                if changes:
                    audit.record(request, "update", role, changes=changes)
            messages.success(request, f"Saved the role {role.title}." if changes else "Nothing changed.")
            return redirect("accounts:role_detail", pk=role.pk)
        status = 400
    else:
        form = RoleForm(instance=role, request=request, can_modify=can_modify)
    holders = users_within_scope(role.users.all(), request)
    context = {
        "section": "roles",
        "form": form,
        "role": role,
        "creating": False,
        "can_modify": can_modify,
        "can_delete": has_node(request, "role.delete") and not role.is_builtin and not is_scoped(request),
        # Who holds a role is user data: the API's /roles/{id}/users needs user.read.other as well.
        "holders": holders.order_by("login")[:50] if has_node(request, "user.read.other") else None,
        "holder_count": holders.count(),
    }
    return render(request, "accounts/role_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@require_nodes("role.delete")
def role_delete(request, pk):
    deny_scoped(request)
    role = get_object_or_404(Role, pk=pk)
    context = {"section": "roles", "role": role, "holder_count": role.users.count()}
    if role.is_builtin:
        context["refused"] = "Built-in roles cannot be deleted."
        return render(request, "accounts/role_confirm_delete.html", context, status=409)
    if request.method == "POST":
        with transaction.atomic():
            audit.record(
                request,
                "delete",
                role,
                object_type=role._meta.label_lower,
                object_id=role.pk,
                changes=audit.diff(audit.snapshot(role), {}),
            )
            role.delete()
        messages.success(request, f"Deleted the role {role.title}.")
        return redirect("accounts:role_list")
    return render(request, "accounts/role_confirm_delete.html", context)


# --- Sign-in lock-out (django-axes' AXES_LOCKOUT_CALLABLE) -------------------------------------------------------


def lockout_message() -> str:
    """The same words whether or not the login exists, so a lock-out tells nothing about accounts."""
    minutes = settings.LOGIN_COOLOFF_MINUTES
    return (
        f"Too many failed sign-ins for this login or from this address. Sign-in is paused for up to {minutes} "
        "minutes; try again later."
    )


def locked_out(request, original_response=None, credentials=None):
    """The sign-in page with the lock-out message: 429 with ``Retry-After``."""
    from accounts.forms import LoginForm

    login = (credentials or {}).get("username") or request.POST.get("username", "")
    form = LoginForm(request, initial={"username": str(login)[:150]})
    response = render(request, "accounts/login.html", {"form": form, "lockout_message": lockout_message()}, status=429)
    response["Retry-After"] = str(settings.LOGIN_COOLOFF_MINUTES * 60)
    return response
