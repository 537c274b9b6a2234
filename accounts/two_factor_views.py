"""Two-factor sign-in in the browser: the code step after the password, enrolment on the profile page, and an
administrator's reset of someone's second factor (accounts.two_factor has the rules).

After a correct password, a user with a confirmed device is *not* signed in: the session remembers who passed the
password (``PENDING_KEY``, for ``PSA_2FA_PENDING_SECONDS``) and the browser is sent to ``/login/verify/``. Only a
valid code (or an unused recovery code) signs the user in, which cycles the session key. Failed codes count per
user against ``PSA_2FA_FAILURE_LIMIT``; past it the step answers 429 until the window ends.
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import two_factor
from accounts.forms import ConfirmOwnPasswordForm, LoginForm
from accounts.models import User
from psa import audit, ratelimit
from psa.access import is_scoped
from psa.views import deny_unless

PENDING_KEY = "psa_2fa_pending"
ENROL_KEY = "psa_2fa_enrol"  # signed in by password, must enrol before anything else (PSA_REQUIRE_2FA)
HANDOFF_STATE_KEY = "psa_mobile_handoff_state"  # accounts.mobile_views.SESSION_STATE_KEY


class TwoFactorLoginMixin:
    """For a ``LoginView``: a correct password of an enrolled user leads to the code step instead of a session."""

    def handoff_state(self) -> str | None:
        return None

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.is_enrolled(user):
            self.request.session[PENDING_KEY] = {
                "user": str(user.pk),
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": int(time.time()),
                "handoff_state": self.handoff_state(),
            }
            return redirect("accounts:two_factor_verify")
        response = super().form_valid(form)
        if two_factor.is_required_for(user):
            self.request.session[ENROL_KEY] = True
            return redirect("accounts:two_factor")
        return response


class LoginView(TwoFactorLoginMixin, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from accounts.mobile import sso_providers

        context = super().get_context_data(**kwargs)
        context["sso_providers"] = sso_providers(self.get_redirect_url())
        return context


def admin_login(request, extra_context=None):
    """The Django admin signs in through the same page, so its sign-in has the second factor and throttling too."""
    if request.user.is_authenticated and not admin.site.has_permission(request):
        raise PermissionDenied("The admin is for staff administrators only.")
    return LoginView.as_view()(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        strip=True,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
        error_messages={"required": "Enter the code from your authenticator app."},
    )


def _pending(request) -> tuple[dict, User] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > settings.TWO_FACTOR_PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return (pending, user) if user is not None else None


def _failure_bucket(user: User) -> str:
    return f"2fa-failed:{user.pk}"


def _too_many(request, form, retry_after: int):
    context = {"form": form, "locked": True, "minutes": max(1, retry_after // 60)}
    response = render(request, "accounts/two_factor_verify.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def check_code(user: User, code: str) -> str | None:
    """``"totp"`` or ``"recovery_code"`` when ``code`` is a valid second factor of ``user``, else ``None``."""
    device = two_factor.confirmed_device(user)
    if device is None:
        return None
    if device.verify(code):
        return "totp"
    if two_factor.use_recovery_code(user, code):
        return "recovery_code"
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    found = _pending(request)
    if found is None:
        messages.info(request, "Sign in with your login and password first.")
        return redirect("login")
    pending, user = found
    form = CodeForm(request.POST or None)
    rate = ratelimit.parse_rate(settings.TWO_FACTOR_FAILURE_LIMIT)
    if request.method == "GET":
        return render(request, "accounts/two_factor_verify.html", {"form": form})
    if not form.is_valid():
        return render(request, "accounts/two_factor_verify.html", {"form": form}, status=400)
    blocked = ratelimit.peek(_failure_bucket(user), rate)
    if blocked.count >= rate.limit:
        return _too_many(request, form, blocked.reset)
    method = check_code(user, form.cleaned_data["code"])
    if method is None:
        ratelimit.hit(_failure_bucket(user), rate)
        audit.record(request, "two_factor_failed", user, client_id=None, outcome="failed")
        form.add_error("code", "That code is not valid. Check the time on your phone, or use a recovery code.")
        return render(request, "accounts/two_factor_verify.html", {"form": form}, status=400)
    del request.session[PENDING_KEY]
    login(request, user, backend=pending["backend"])
    if method == "recovery_code":
        left = two_factor.remaining_recovery_codes(user)
        audit.record(request, "recovery_code_used", user, client_id=None, changes={"remaining": left})
        messages.warning(request, f"You signed in with a recovery code. {left} remain; make new ones on your profile.")
    if pending.get("handoff_state"):
        request.session[HANDOFF_STATE_KEY] = pending["handoff_state"]
    return redirect(pending["next"])


# --- Enrolment on the profile page --------------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    confirmation = forms.CharField(
        label="Your password or a current code",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password, or a code from your authenticator app."},
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_confirmation(self) -> str:
        value = self.cleaned_data["confirmation"]
        if self.user.has_usable_password() and self.user.check_password(value):
            return value
        device = two_factor.confirmed_device(self.user)
        if device is not None and device.verify(value):
            return value
        raise forms.ValidationError("That is neither your password nor a current code from your app.")


def _enrol_page(request, *, device=None, code_form=None, confirm_form=None, codes=None, status=200):
    user = request.user
    confirmed = two_factor.confirmed_device(user)
    pending = device or (None if confirmed else user_pending_device(user))
    context = {
        "section": "profile",
        "confirmed": confirmed,
        "pending_device": pending,
        "qr_svg": pending.qr_svg() if pending else None,
        "secret": pending.secret() if pending else None,
        "code_form": code_form or CodeForm(),
        "confirm_form": confirm_form or ConfirmForm(user=user),
        "new_codes": codes,
        "remaining": two_factor.remaining_recovery_codes(user) if confirmed else None,
        "required": two_factor.is_required_for(user),
        "must_enrol": bool(request.session.get(ENROL_KEY)),
    }
    return render(request, "accounts/two_factor.html", context, status=status)


def user_pending_device(user: User):
    return two_factor.TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=True).first()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    """GET: the state of the user's second factor. POST: start enrolling (a new secret, shown as a QR code)."""
    if request.method == "POST":
        if two_factor.is_enrolled(request.user):
            messages.info(request, "Two-factor sign-in is already on. Turn it off first to move to a new phone.")
            return redirect("accounts:two_factor")
        return _enrol_page(request, device=two_factor.TwoFactorDevice.start(request.user))
    return _enrol_page(request)


@never_cache
@login_required
@require_POST
def confirm(request):
    """The first code from the app confirms the device; the recovery codes are shown once, in this response."""
    device = user_pending_device(request.user)
    if device is None:
        messages.info(request, "Start setting up two-factor sign-in first.")
        return redirect("accounts:two_factor")
    form = CodeForm(request.POST)
    if not form.is_valid() or not device.verify(form.cleaned_data["code"]):
        if form.is_valid():
            form.add_error("code", "That code is not valid. Scan the QR code again, or check the time on your phone.")
        return _enrol_page(request, device=device, code_form=form, status=400)
    with transaction.atomic():
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at", "updated_at"])
        codes = two_factor.issue_recovery_codes(request.user)
        audit.record(request, "two_factor_enabled", request.user, client_id=None, changes={"method": "totp"})
    request.session.pop(ENROL_KEY, None)
    return _enrol_page(request, codes=codes)


@never_cache
@login_required
@require_POST
def new_recovery_codes(request):
    form = ConfirmForm(request.POST, user=request.user)
    if not two_factor.is_enrolled(request.user):
        return redirect("accounts:two_factor")
    if not form.is_valid():
        return _enrol_page(request, confirm_form=form, status=400)
    with transaction.atomic():
        codes = two_factor.issue_recovery_codes(request.user)
        audit.record(request, "recovery_codes_issued", request.user, client_id=None, changes={"count": len(codes)})
    return _enrol_page(request, codes=codes)


@never_cache
@login_required
@require_POST
def disable(request):
    form = ConfirmForm(request.POST, user=request.user)
    if two_factor.is_required_for(request.user):
        raise PermissionDenied("Two-factor sign-in is required for your account (PSA_REQUIRE_2FA); it stays on.")
    if not form.is_valid():
        return _enrol_page(request, confirm_form=form, status=400)
    with transaction.atomic():
        removed = two_factor.remove(request.user)
        if removed.device:
            audit.record(request, "two_factor_disabled", request.user, client_id=None)
    messages.success(request, "Two-factor sign-in is off. You sign in with your password alone.")
    return redirect("accounts:two_factor")


# --- An administrator resets someone's second factor --------------------------------------------------------------


@never_cache
@require_POST
@login_required
def admin_reset(request, pk):
    """On a user's page: turn their two-factor sign-in off, after the administrator re-enters their own password."""
    deny_unless(request, "user.read.other", "user.two_factor.other")
    if is_scoped(request):
        raise PermissionDenied("You are limited to some clients, so you cannot change users.")
    from accounts.api.views import users_within_scope

    subject = get_object_or_404(users_within_scope(User.objects.all(), request), pk=pk)
    form = ConfirmOwnPasswordForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "Two-factor sign-in was not reset: " + " ".join(form.errors.get("your_password", [])))
    elif two_factor.reset_for(request, subject):
        messages.success(request, f"Two-factor sign-in of {subject.login} is off; they can set it up again.")
    else:
        messages.info(request, f"{subject.login} had no two-factor sign-in.")
    return redirect("accounts:user_detail", pk=subject.pk)
