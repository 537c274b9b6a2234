"""Request bodies of the route harness that are not JSON: importable by ``tests/<app>/harness.py`` modules."""


class Multipart(dict):
    """A body sent as multipart/form-data (file uploads); values may be ``SimpleUploadedFile``."""


class Query(dict):
    """Parameters a GET route needs, sent in the query string instead of a body."""
