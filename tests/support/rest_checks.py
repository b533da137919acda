"""The REST API on the Kinesis listener (the seed's API Gateway routes), as the tests call it: one
request helper and the CORS headers every answer carries with the default `api.cors`."""
from __future__ import annotations

import http.client
import json
import urllib.parse

# The Access-Control-* headers of every REST answer under the default api.cors.
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET,POST,OPTIONS",
    "access-control-allow-headers":
        "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token",
}


def request(instance, method, path, body=None, headers=None):
    """(status, lower-cased headers, parsed JSON body or None) of one request to the Kinesis
    listener; `body` is sent as it is when bytes or str, else as JSON."""
    url = urllib.parse.urlsplit(instance.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        raw = resp.read()
        heads = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, heads, json.loads(raw) if raw else None
    finally:
        conn.close()


def assert_cors(heads):
    for name, value in CORS.items():
        assert heads.get(name) == value, (name, heads)
