"""`kbridge serve`: ready line, admin listener, wire errors, clean stop."""
from kbridge_harness import JSON_CONTENT_TYPE, http_get, raw_call, unique_name


def test_ready_line_names_bound_ports(kbridge):
    assert kbridge.endpoint.startswith("http://127.0.0.1:")
    assert kbridge.admin_endpoint.startswith("http://127.0.0.1:")
    assert kbridge.port != 0


def test_admin_healthz(kbridge):
    status, _ = http_get(kbridge.admin_endpoint + "/healthz")
    assert status == 200


def test_admin_unknown_path_is_404(kbridge):
    # /metrics and /v1/lag arrive with the observability issue; until then only /healthz exists.
    status, _ = http_get(kbridge.admin_endpoint + "/nope")
    assert status == 404


def test_missing_stream_is_kinesis_error(kbridge):
    status, headers, body = raw_call(kbridge.endpoint, "DescribeStreamSummary",
                                     {"StreamName": unique_name("missing")})
    assert status == 400
    assert headers["content-type"].startswith(JSON_CONTENT_TYPE)
    assert body["__type"].endswith("ResourceNotFoundException")
    assert "not found" in body["message"]


def test_unknown_target_is_rejected(kbridge):
    status, _, body = raw_call(kbridge.endpoint, "Kinesis_20131202.NoSuchAction", {})
    assert status == 400
    assert body["__type"].endswith("UnknownOperationException"), body


def test_second_instance_stops_cleanly(kbridge_factory):
    extra = kbridge_factory.start(name="short-lived")
    assert extra.stop(check=True) == 0
