"""A document lives while something holds it: the last association gone (whatever deleted it, a ticket's cascade
included), the document goes, and its stored file once the transaction has committed."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from tickets.document_models import Document, DocumentAssociation

logger = logging.getLogger("psa.documents")


@receiver(post_delete, sender=DocumentAssociation)
def delete_orphaned_document(sender, instance: DocumentAssociation, **kwargs) -> None:
    if not DocumentAssociation.objects.filter(document_id=instance.document_id).exists():
        Document.objects.filter(pk=instance.document_id).delete()


@receiver(post_delete, sender=Document)
def delete_document_file(sender, instance: Document, **kwargs) -> None:
    name, storage = instance.file.name, instance.file.storage

    def remove() -> None:
        try:
            storage.delete(name)
        except OSError:  # the row is gone either way; a stray file is only disk space
            logger.warning("could not delete the stored file of document %s", instance.pk)

    if name:
        transaction.on_commit(remove)
