"""Plain JSON requests through an ApiClient, without the generated model classes.

The generated classes turn every object into nested Python objects, which costs memory
and time for 100,000 pods; the adapter reads and writes plain dicts instead. Requests
still go through the ApiClient (credentials, the rate limit and retries of `client`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

Obj = dict[str, Any]

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"


def send(
    api: client.ApiClient,
    method: str,
    path: str,
    *,
    query: Mapping[str, str | int | bool] | None = None,
    body: Any = None,
    content_type: str = JSON,
    timeout: float | tuple[float, float] | None = None,
) -> Any:
    """Send a request; the client's RESTResponse, whatever its status (body not read yet)."""
    method, url, headers, body, post = api.param_serialize(
        method=method,
        resource_path=path,
        query_params=list((query or {}).items()),
        header_params={"Accept": JSON, "Content-Type": content_type},
        body=body,
        auth_settings=["BearerToken"],
    )
    return api.call_api(method, url, headers, body, post, _request_timeout=timeout)


def call(
    api: client.ApiClient,
    method: str,
    path: str,
    *,
    query: Mapping[str, str | int | bool] | None = None,
    body: Any = None,
    content_type: str = JSON,
    timeout: float | tuple[float, float] | None = None,
) -> Obj:
    """Send a request and return its JSON answer.

    Raises:
        ApiException: For any status but 2xx, with the status and the server's body.
    """
    response = send(
        api, method, path, query=query, body=body, content_type=content_type, timeout=timeout
    )
    data = response.read()
    if not 200 <= response.status <= 299:
        raise ApiException(status=response.status, reason=response.reason, body=data)
    answer: Obj = json.loads(data) if data else {}
    return answer


def lines(response: Any) -> Iterator[Obj]:
    """The JSON objects of a streamed (watch) response, one per line."""
    buffer = b""
    for chunk in response.response.stream(amt=None, decode_content=True):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            if line.strip():
                yield json.loads(line)


def message(error: ApiException) -> str:
    """The ``message`` of the Status an ApiException carries, else its reason."""
    try:
        status = json.loads(error.body or b"{}")
    except (TypeError, ValueError):
        status = {}
    text = status.get("message") if isinstance(status, dict) else None
    return str(text or error.reason or "")
