"""Documents on tickets, clients and assets: upload typed from content, size limit, safe names, downloads through the
permission-checking view only, one file per document, the last association taking the file with it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from psa.models import AuditEvent
from tests.assets.factories import make_asset
from tests.factories import api_for
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import make_ticket
from tests.tickets.link_factories import PDF_BYTES, PNG_BYTES, make_document
from tickets.document_models import Document, DocumentAssociation
from tickets.documents import clean_name, detect_type

pytestmark = pytest.mark.django_db

TECH = ["ticket.*", "client.*", "asset.*", "obj.*"]
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def storage_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


@pytest.fixture
def tech():
    api, user, _ = api_for(TECH)
    api.user = user
    return api


@pytest.fixture
def ticket(client_a):
    return make_ticket(client_a)


def upload(api, url: str, name: str, content: bytes, content_type: str = "application/octet-stream"):
    return api.post(url, {"file": SimpleUploadedFile(name, content, content_type=content_type)}, format="multipart")


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def test_upload_is_typed_from_content_and_listed(tech, ticket, storage_dir):
    url = f"/api/v1/tickets/{ticket.pk}/documents"
    # The client calls it a text file; the bytes are a PNG.
    row = data_of(upload(tech, url, "screen shot.txt", PNG_BYTES, "text/plain"), 201)
    assert row["mime_type"] == "image/png" and row["is_image"] is True
    assert row["document_name"] == "screen shot.txt.png"
    assert row["file_size"] == len(PNG_BYTES) and row["created_by"] == str(tech.user.pk)
    assert row["created_by_full_name"] == str(tech.user) and row["document_id"] == row["id"] == row["file_id"]
    listed = data_of(tech.get(url))
    assert [r["document_id"] for r in listed] == [row["id"]]
    assert {"document_name", "type_name", "mime_type", "file_size", "created_by_full_name", "updated_at"} <= set(
        listed[0]
    )
    # Stored under a generated key, not the uploader's name.
    (path,) = stored_files(storage_dir)
    assert "screen" not in path.name and path.suffix == ".png"
    # The ticket's history and the audit log both record it.
    history = data_of(tech.get(f"/api/v1/tickets/{ticket.pk}/history", {"field": "documents"}))
    assert history[0]["new_display"] == "screen shot.txt.png"
    event = AuditEvent.objects.get(object_type="tickets.document", action="create")
    assert event.client_id == ticket.client_id and event.changes["ticket"]["new"] == str(ticket.pk)


def test_download_is_an_attachment_with_nosniff(tech, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/documents"
    row = data_of(upload(tech, url, "page.html", b"<html><script>alert(1)</script></html>"), 201)
    assert row["mime_type"] == "text/plain"
    response = tech.get(row["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;") and "page.html" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"
    # Asking for inline display does not make a non-image inline.
    assert tech.get(row["download_url"], {"inline": "true"})["Content-Disposition"].startswith("attachment;")


def test_images_may_preview_inline(tech, ticket):
    row = data_of(upload(tech, f"/api/v1/tickets/{ticket.pk}/documents", "a.png", PNG_BYTES), 201)
    response = tech.get(row["download_url"], {"inline": "true"})
    assert response["Content-Disposition"].startswith("inline;") and response["Content-Type"] == "image/png"
    assert error_paths(tech.get(row["download_url"], {"inline": "maybe"})) == [["inline"]]


def test_executable_disguised_as_pdf_keeps_its_true_extension(tech, ticket):
    row = data_of(upload(tech, f"/api/v1/tickets/{ticket.pk}/documents", "invoice.pdf", EXE_BYTES), 201)
    assert row["mime_type"] == "application/x-msdownload"
    assert row["document_name"] == "invoice.pdf.exe"


def test_names_are_cleaned():
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\x\\evil<>.pdf") == "evil_.pdf"
    assert clean_name("\x00\x1f") == "_"
    assert clean_name("...") == "document"
    assert len(clean_name("a" * 500 + ".pdf")) == 200 and clean_name("a" * 500 + ".pdf").endswith(".pdf")
    assert detect_type(PDF_BYTES) == ("application/pdf", "pdf")
    assert detect_type(b"\x00\x01\x02") == ("application/octet-stream", "")


def test_upload_limit_is_413_in_the_error_envelope(tech, ticket, settings):
    settings.MAX_UPLOAD_BYTES = 100
    url = f"/api/v1/tickets/{ticket.pk}/documents"
    error = error_of(upload(tech, url, "big.bin", b"x" * 101), 413, "PAYLOAD_TOO_LARGE")
    assert "100" in error["message"]
    assert data_of(upload(tech, url, "fits.txt", b"x" * 100), 201)["file_size"] == 100
    # A Content-Length far beyond the limit is refused before the body is read.
    response = tech.generic("POST", url, b"", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="999999")
    error_of(response, 413, "PAYLOAD_TOO_LARGE")


def test_bad_uploads_are_400_naming_the_field(tech, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/documents"
    assert error_paths(tech.post(url, {}, format="multipart")) == [["file"]]
    assert error_paths(upload(tech, url, "empty.txt", b"")) == [["file"]]
    assert error_paths(tech.post(url, {"file": "not a file"}, format="multipart")) == [["file"]]
    response = tech.post(url, {"file": SimpleUploadedFile("a.txt", b"a"), "extra": "1"}, format="multipart")
    assert error_paths(response) == [["extra"]]
    # JSON is not an upload.
    error_of(tech.post(url, {"file": "x"}, format="json"), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert not Document.objects.exists()


def test_deleting_the_last_association_deletes_the_file(
    tech, client_a, ticket, storage_dir, django_capture_on_commit_callbacks
):
    asset = make_asset(client_a)
    document = make_document(ticket, asset)
    assert len(stored_files(storage_dir)) == 1
    with_ticket = f"/api/v1/tickets/{ticket.pk}/documents/{document.pk}"
    with_asset = f"/api/v1/assets/{asset.pk}/documents/{document.pk}"
    assert tech.delete(with_ticket).status_code == 204
    assert Document.objects.filter(pk=document.pk).exists() and len(stored_files(storage_dir)) == 1
    error_of(tech.get(with_ticket), 404, "NOT_FOUND")
    assert tech.get(with_asset).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert tech.delete(with_asset).status_code == 204
    assert not Document.objects.filter(pk=document.pk).exists()
    assert stored_files(storage_dir) == []


def test_deleting_a_ticket_deletes_its_only_documents(
    client_a, ticket, storage_dir, django_capture_on_commit_callbacks
):
    make_document(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        ticket.delete()
    assert not DocumentAssociation.objects.exists() and not Document.objects.exists()
    assert stored_files(storage_dir) == []


def test_clients_and_assets_hold_documents_too(tech, client_a):
    asset = make_asset(client_a)
    for url in (f"/api/v1/clients/{client_a.pk}/documents", f"/api/v1/assets/{asset.pk}/documents"):
        row = data_of(upload(tech, url, "scan.pdf", PDF_BYTES), 201)
        assert row["type_name"] == "PDF document"
        assert [r["id"] for r in data_of(tech.get(url))] == [row["id"]]
        assert tech.get(row["download_url"])["Content-Type"] == "application/pdf"
    event = AuditEvent.objects.filter(object_type="tickets.document").latest("created_at")
    assert event.client_id == client_a.pk


def test_permissions_and_scope(client_a, client_b, ticket):
    other = make_ticket(client_b)
    document = make_document(other)
    reader, _, _ = api_for(["ticket.read"])
    error_of(upload(reader, f"/api/v1/tickets/{ticket.pk}/documents", "a.txt", b"a"), 403, "FORBIDDEN")
    scoped, _, _ = api_for(TECH, clients=[client_a])
    error_of(scoped.get(f"/api/v1/tickets/{other.pk}/documents"), 404, "NOT_FOUND")
    error_of(scoped.get(f"/api/v1/tickets/{other.pk}/documents/{document.pk}"), 404, "NOT_FOUND")
    error_of(scoped.delete(f"/api/v1/tickets/{other.pk}/documents/{document.pk}"), 404, "NOT_FOUND")
    # Another ticket's document is not reachable through a ticket the caller may see.
    error_of(scoped.get(f"/api/v1/tickets/{ticket.pk}/documents/{document.pk}"), 404, "NOT_FOUND")
    error_of(scoped.get(f"/api/v1/clients/{client_b.pk}/documents"), 404, "NOT_FOUND")
    anonymous = api_for([])[0]
    anonymous.credentials()
    error_of(anonymous.get(f"/api/v1/tickets/{ticket.pk}/documents"), 401, "UNAUTHORIZED")


def test_list_query_count_does_not_grow(tech, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/documents"
    make_document(ticket)
    tech.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert tech.get(url, {"limit": 100}).status_code == 200
        return len(captured)

    one = count()
    for _ in range(10):
        make_document(ticket)
    assert count() == one
