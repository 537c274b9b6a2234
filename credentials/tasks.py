"""Background work of the vault: the daily purge of credentials deleted longer ago than the retention period."""

from celery import shared_task


@shared_task(name="credentials.tasks.purge_deleted_credentials", ignore_result=True)
def purge_deleted_credentials() -> dict:
    """Idempotent: purges what is due, in batches, until nothing due is left (or a bounded number of rounds)."""
    from credentials.services import purge_expired

    total = 0
    result = {"purged": 0, "remaining": 0}
    for _ in range(50):
        result = purge_expired()
        total += result["purged"]
        if not result["purged"] or not result["remaining"]:
            break
    return {"purged": total, "remaining": result["remaining"]}
