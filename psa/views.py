from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import ApiKey, User
from clients.models import Client, Contact
from psa.access import has_node, restrict
from psa.models import AuditEvent


@login_required
def dashboard(request):
    counts = {
        "clients": restrict(Client.objects.filter(archived_at__isnull=True), request).count(),
        "contacts": restrict(Contact.objects.filter(is_active=True), request).count(),
        "users": User.objects.filter(is_active=True).count(),
        "my_keys": ApiKey.objects.usable().filter(owner=request.user).count(),
    }
    recent = []
    if has_node(request, "audit.read"):
        recent = list(restrict(AuditEvent.objects.all(), request)[:10])
    return render(request, "dashboard.html", {"counts": counts, "recent_events": recent})
