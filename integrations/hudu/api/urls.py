from django.urls import path

from integrations.hudu.api.views import HuduStatusView

urlpatterns = [path("integrations/hudu", HuduStatusView.as_view(), name="integration-hudu-status")]
