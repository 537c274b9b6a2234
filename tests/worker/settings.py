"""Settings for the Celery worker and beat processes that ``tests/worker`` starts.

They are the project's settings with three changes, each passed in the environment by the test:
the database name is the test database the test process created (``test_…`` on PostgreSQL, the
``TEST.NAME`` file on SQLite); the default queue is a queue of the test's own, so the test's worker never
takes another worker's messages nor the reverse; and beat keeps its schedule in the test's temporary folder.
"""

import os

from psa import settings as _base

globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

DATABASES = {
    **_base.DATABASES,
    "default": {**_base.DATABASES["default"], "NAME": os.environ["PSA_TEST_WORKER_DATABASE"]},
}
CELERY_TASK_DEFAULT_QUEUE = os.environ["PSA_TEST_WORKER_QUEUE"]
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get("PSA_TEST_WORKER_BEAT_SCHEDULE", _base.CELERY_BEAT_SCHEDULE_FILENAME)
# No remote-control (pidbox) queue per test worker: with the filesystem broker its binding would stay behind.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
