"""DescribeLimits against a real Kafka broker. Other test files create streams at the same time, so
counts are only checked relative to what this module created.

Facts: the API reference (ShardLimit, OpenShardCount, OnDemandStreamCount, OnDemandStreamCountLimit);
kbridge's defaults (streams.shard_limit 500, on_demand_stream_limit 50).
"""
from kbridge_harness import raw_call
from kinesis_checks import call


ACTION = "DescribeLimits"


def limits(kbridge):
    status, body = call(kbridge, ACTION, {})
    assert status == 200, body
    return body


def test_shape_and_defaults(kbridge):
    body = limits(kbridge)
    assert set(body) == {"ShardLimit", "OpenShardCount", "OnDemandStreamCount",
                         "OnDemandStreamCountLimit"}, body
    assert body["ShardLimit"] == 500
    assert body["OnDemandStreamCountLimit"] == 50
    assert isinstance(body["OpenShardCount"], int) and body["OpenShardCount"] >= 0
    assert isinstance(body["OnDemandStreamCount"], int) and body["OnDemandStreamCount"] >= 0


def test_counts_include_my_streams(kbridge, new_stream):
    new_stream(7, prefix="dl-prov")
    new_stream(None, prefix="dl-od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    body = limits(kbridge)
    assert body["OpenShardCount"] >= 7 + 4
    assert body["OnDemandStreamCount"] >= 1


def test_unknown_members_are_ignored(kbridge):
    status, body = call(kbridge, ACTION, {"Whatever": 1, "StreamName": 23})
    assert status == 200, body
    assert body["ShardLimit"] == 500


def test_empty_body_is_serialization_error(kbridge):
    status, _, body = raw_call(kbridge.endpoint, ACTION, b"")
    assert (status, body) == (400, {"__type": "SerializationException"})
