from clients.api.serializers import ClientSerializer, ContactSerializer
from clients.filtersets import ClientFilterSet, ContactFilterSet
from clients.models import Client, Contact
from psa.api.viewsets import PsaModelViewSet


class ClientViewSet(PsaModelViewSet):
    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet
    node_prefix = "client"
    sort_fields = {"name": "name", "identifier": "identifier", "created_at": "created_at", "updated_at": "updated_at"}
    default_sort = "name"


class ContactViewSet(PsaModelViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    node_prefix = "contact"
    sort_fields = {
        "last_name": "last_name",
        "first_name": "first_name",
        "email": "email",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "last_name"
