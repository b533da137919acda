"""UpdateStreamMode against a real Kafka broker: validation, the mode DescribeStreamSummary and
DescribeLimits show afterwards, the topic left as it is, and the on-demand stream limit.

Facts: botocore's kinesis model (UpdateStreamModeInput: StreamARN and StreamModeDetails required);
the on-demand limit's wording as CreateStream's (test_create_stream.py).
"""
import pytest

from kbridge_harness import ACCOUNT_ID, REGION, stream_arn, unique_name
from kinesis_checks import (assert_error, assert_validation, call, failure, not_found, not_null,
                            topic_of)

ACTION = "UpdateStreamMode"
ON_DEMAND = {"StreamMode": "ON_DEMAND"}
PROVISIONED = {"StreamMode": "PROVISIONED"}


def mode_of(kb, name):
    status, body = call(kb, "DescribeStreamSummary", {"StreamName": name})
    assert status == 200, body
    return body["StreamDescriptionSummary"]["StreamModeDetails"]["StreamMode"]


def on_demand_count(kb):
    status, body = call(kb, "DescribeLimits", {})
    assert status == 200, body
    return body["OnDemandStreamCount"]


def test_validation(kbridge):
    assert_validation(call(kbridge, ACTION, {}),
                      [not_null("streamARN"), not_null("streamModeDetails")])
    assert_validation(call(kbridge, ACTION, {"StreamARN": stream_arn("a"),
                                             "StreamModeDetails": {"StreamMode": "FAST"}}),
                      [failure("FAST", "streamModeDetails.streamMode",
                               "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]")])
    name = unique_name("usm-absent")
    assert_error(call(kbridge, ACTION, {"StreamARN": stream_arn(name),
                                        "StreamModeDetails": ON_DEMAND}),
                 "ResourceNotFoundException", not_found(name))


def test_switch_both_ways(kbridge, new_stream, kafka_bootstrap):
    name = new_stream(shards=3, prefix="usm")
    before = on_demand_count(kbridge)
    status, body = call(kbridge, ACTION, {"StreamARN": stream_arn(name),
                                          "StreamModeDetails": ON_DEMAND})
    assert status == 200, body
    assert mode_of(kbridge, name) == "ON_DEMAND"
    assert on_demand_count(kbridge) == before + 1
    assert topic_of(kafka_bootstrap, name)["partitions"] == 3  # the shards stay

    # Asking for the mode it has changes nothing.
    assert call(kbridge, ACTION, {"StreamARN": stream_arn(name),
                                  "StreamModeDetails": ON_DEMAND})[0] == 200
    assert call(kbridge, ACTION, {"StreamARN": stream_arn(name),
                                  "StreamModeDetails": PROVISIONED})[0] == 200
    assert mode_of(kbridge, name) == "PROVISIONED"
    assert on_demand_count(kbridge) == before


@pytest.fixture(scope="module")
def one_on_demand(kbridge_factory):
    return kbridge_factory.start({"streams": {"on_demand_stream_limit": 1}}, name="one-on-demand")


def test_on_demand_stream_limit(one_on_demand):
    kb = one_on_demand
    first, second = unique_name("usm-limit"), unique_name("usm-limit")
    for name in (first, second):
        assert call(kb, "CreateStream", {"StreamName": name, "ShardCount": 1})[0] == 200
    try:
        assert call(kb, ACTION, {"StreamARN": stream_arn(first), "StreamModeDetails": ON_DEMAND})[0] \
            == 200
        assert_error(call(kb, ACTION, {"StreamARN": stream_arn(second),
                                       "StreamModeDetails": ON_DEMAND}),
                     "LimitExceededException",
                     f"This request would exceed the on-demand stream limit for the account "
                     f"{ACCOUNT_ID} in {REGION}. Current on-demand stream count: 1. Limit: 1.")
        assert mode_of(kb, second) == "PROVISIONED"
    finally:
        for name in (first, second):
            call(kb, "DeleteStream", {"StreamName": name})
