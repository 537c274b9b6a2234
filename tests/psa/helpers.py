"""Assertions on the API envelope shared by the API tests."""

from __future__ import annotations

from typing import Any


def body_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


def data_of(response, status: int = 200) -> Any:
    """The ``data`` of a success envelope, after checking the status."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = body_of(response)
    assert "data" in body, body
    assert "error" not in body, body
    return body["data"]


def ids_of(response) -> list[str]:
    return [row["id"] for row in data_of(response)]


def error_of(response, status: int, code: str) -> dict:
    """The ``error`` object of an error envelope, after checking the status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = body_of(response)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    return error


def error_paths(response) -> list[list]:
    """The ``path`` of every detail of a 400 VALIDATION_ERROR."""
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert isinstance(error["details"], list) and error["details"], error
    for detail in error["details"]:
        assert set(detail) == {"path", "message"}, detail
    return [detail["path"] for detail in error["details"]]


def error_text(response) -> str:
    """Everything a client can read in an error body, for checking that it names the problem."""
    error = response.json()["error"]
    details = error.get("details") or []
    return " ".join([error["message"], *(str(d) for d in details)])
