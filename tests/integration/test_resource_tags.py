"""TagResource, UntagResource and ListTagsForResource against a real Kafka broker: on a stream's ARN
they act on the same tags as AddTagsToStream / RemoveTagsFromStream / ListTagsForStream, with the
same limits; a consumer's ARN names nothing in kbridge.

Facts: botocore's kinesis model (ResourceARN pattern arn:aws.*:kinesis:.*:\\d{12}:.*(stream|channel|
queue)/\\S+, TagMap of 1..200, TagKeyList of 1..50, ListTagsForResourceOutput {Tags}).
"""
import pytest

from kbridge_harness import stream_arn, unique_name
from kinesis_checks import (MAP, STRING, assert_error, assert_validation, call, check_type_errors,
                            not_found, not_null, tags_of)


@pytest.fixture
def stream(new_stream):
    return new_stream(shards=1, prefix="resource-tags")


@pytest.mark.parametrize("action,path,type_", [
    ("TagResource", "ResourceARN", STRING), ("TagResource", "Tags", MAP),
    ("UntagResource", "ResourceARN", STRING), ("ListTagsForResource", "ResourceARN", STRING)])
def test_type_errors(kbridge, action, path, type_):
    check_type_errors(kbridge, action, path, type_)


def test_required_members(kbridge):
    assert_validation(call(kbridge, "TagResource", {}), [not_null("tags"), not_null("resourceARN")])
    assert_validation(call(kbridge, "UntagResource", {}),
                      [not_null("tagKeys"), not_null("resourceARN")])
    assert_validation(call(kbridge, "ListTagsForResource", {}), [not_null("resourceARN")])


def test_tags_by_arn_are_the_streams_tags(kbridge, stream):
    arn = stream_arn(stream)
    status, body = call(kbridge, "TagResource", {"ResourceARN": arn, "Tags": {"team": "data",
                                                                              "env": "dev"}})
    assert status == 200, body
    assert tags_of(kbridge, stream) == {"team": "data", "env": "dev"}
    status, body = call(kbridge, "ListTagsForResource", {"ResourceARN": arn})
    assert status == 200, body
    assert body == {"Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "data"}]}

    status, body = call(kbridge, "AddTagsToStream", {"StreamName": stream, "Tags": {"owner": "x"}})
    assert status == 200, body
    status, body = call(kbridge, "UntagResource", {"ResourceARN": arn,
                                                   "TagKeys": ["env", "never-set"]})
    assert status == 200, body
    status, body = call(kbridge, "ListTagsForResource", {"ResourceARN": arn})
    assert body == {"Tags": [{"Key": "owner", "Value": "x"}, {"Key": "team", "Value": "data"}]}


def test_the_50_tag_limit_holds(kbridge, stream):
    arn = stream_arn(stream)
    status, body = call(kbridge, "TagResource", {"ResourceARN": arn,
                                                 "Tags": {f"k{i}": "v" for i in range(50)}})
    assert status == 200, body
    status, body = call(kbridge, "TagResource", {"ResourceARN": arn, "Tags": {"one-more": "v"}})
    assert (status, body["__type"]) == (400, "InvalidArgumentException"), body
    assert len(tags_of(kbridge, stream)) == 50


def test_unknown_stream_and_consumer(kbridge):
    name = unique_name("resource-tags-absent")
    arn = stream_arn(name)
    for action, extra in (("TagResource", {"Tags": {"a": "b"}}), ("UntagResource", {"TagKeys": ["a"]}),
                          ("ListTagsForResource", {})):
        assert_error(call(kbridge, action, {"ResourceARN": arn, **extra}),
                     "ResourceNotFoundException", not_found(name))
        consumer = f"{arn}/consumer/app:1700000000"
        status, body = call(kbridge, action, {"ResourceARN": consumer, **extra})
        assert (status, body["__type"]) == (400, "ResourceNotFoundException"), body
