"""boto3 (JSON 1.1 protocol) against kbridge: control plane, waiters, pagination, error codes."""
import datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from kbridge_harness import (REGION, expected_hash_ranges, shard_hash_ranges, shard_id, stream_arn,
                             unique_name, wait_for_topic_config, within_last)

FAST_WAITER = {"Delay": 1, "MaxAttempts": 30}


@pytest.fixture(scope="module")
def client(kbridge):
    return boto3.client(
        "kinesis", endpoint_url=kbridge.endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 2, "mode": "standard"},
                      connect_timeout=5, read_timeout=30))


@pytest.fixture
def stream(client):
    """A fresh ACTIVE 3-shard stream, deleted afterwards."""
    name = unique_name("boto3")
    client.create_stream(StreamName=name, ShardCount=3)
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=FAST_WAITER)
    yield name
    try:
        client.delete_stream(StreamName=name)
    except ClientError as err:
        assert err.response["Error"]["Code"] == "ResourceNotFoundException"


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response


def test_stream_lifecycle(client, kafka_bootstrap):
    name = unique_name("boto3-life")
    client.create_stream(StreamName=name, ShardCount=3)
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=FAST_WAITER)

    summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == stream_arn(name)
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 3
    assert summary["RetentionPeriodHours"] == 24
    assert isinstance(summary["StreamCreationTimestamp"], datetime.datetime)
    assert within_last(summary["StreamCreationTimestamp"], 3600)

    description = client.describe_stream(StreamName=name)["StreamDescription"]
    assert description["StreamStatus"] == "ACTIVE"
    assert [s["ShardId"] for s in description["Shards"]] == [shard_id(i) for i in range(3)]
    assert description["HasMoreShards"] is False

    shards = client.list_shards(StreamName=name)["Shards"]
    assert shard_hash_ranges(shards) == expected_hash_ranges(3)

    client.add_tags_to_stream(StreamName=name, Tags={"team": "data", "env": "test"})
    tags = client.list_tags_for_stream(StreamName=name)
    assert {t["Key"]: t["Value"] for t in tags["Tags"]} == {"team": "data", "env": "test"}
    assert tags["HasMoreTags"] is False

    client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"] == 48
    wait_for_topic_config(kafka_bootstrap, name, "retention.ms", "172800000")
    client.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"] == 24

    client.delete_stream(StreamName=name)
    client.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig=FAST_WAITER)


def test_list_shards_pagination(client, stream):
    # The way that works on AWS: after the first page, NextToken alone identifies the stream.
    page = client.list_shards(StreamName=stream, MaxResults=1)
    shards = list(page["Shards"])
    assert len(shards) == 1 and "NextToken" in page
    for _ in range(10):
        if "NextToken" not in page:
            break
        page = client.list_shards(NextToken=page["NextToken"], MaxResults=1)
        shards += page["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(3)]


def test_list_shards_paginator_matches_aws(client, stream):
    # botocore's ListShards paginator resends StreamName with NextToken, which AWS rejects
    # (boto/botocore#2009); kbridge answers the same way. Without a page size one page holds all.
    pages = list(client.get_paginator("list_shards").paginate(StreamName=stream))
    assert [s["ShardId"] for p in pages for s in p["Shards"]] == [shard_id(i) for i in range(3)]
    with pytest.raises(ClientError) as info:
        list(client.get_paginator("list_shards").paginate(
            StreamName=stream, PaginationConfig={"PageSize": 1}))
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "NextToken and StreamName cannot be provided together" in \
        info.value.response["Error"]["Message"]


def test_list_streams_paginator(client):
    prefix = unique_name("boto3-list")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        client.create_stream(StreamName=name, ShardCount=1)
    try:
        pages = list(client.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}))
        listed = [n for p in pages for n in p["StreamNames"]]
        assert all(len(p["StreamNames"]) <= 1 for p in pages)
        assert len(listed) == len(set(listed)), "a stream was listed twice"
        assert set(names) <= set(listed)
        summaries = [s for p in pages for s in p.get("StreamSummaries", [])]
        if summaries:  # newer API field; when present it must agree with StreamNames
            assert {s["StreamName"] for s in summaries} == set(listed)
    finally:
        for name in names:
            client.delete_stream(StreamName=name)


def test_error_codes(client, stream):
    code, response = error_code(client.create_stream, StreamName=stream, ShardCount=1)
    assert code == "ResourceInUseException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

    code, response = error_code(client.describe_stream_summary, StreamName=unique_name("missing"))
    assert code == "ResourceNotFoundException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

    code, response = error_code(client.create_stream, StreamName="bad name!", ShardCount=1)
    assert code == "ValidationException"
    assert "validation error" in response["Error"]["Message"]

    code, response = error_code(client.decrease_stream_retention_period, StreamName=stream,
                                RetentionPeriodHours=48)
    assert code == "InvalidArgumentException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_dry_run(client, stream):
    """boto3 raises its modeled DryRunOperationException for a dry run that passes every check, and
    the real error for one that does not; nothing is written."""
    with pytest.raises(client.exceptions.DryRunOperationException):
        client.put_record(StreamName=stream, PartitionKey="k", Data=b"x", DryRun=True)
    with pytest.raises(client.exceptions.DryRunOperationException):
        client.put_records(StreamName=stream, Records=[{"PartitionKey": "k", "Data": b"x"}],
                           DryRun=True)
    with pytest.raises(client.exceptions.DryRunOperationException):
        client.get_shard_iterator(StreamName=stream, ShardId=shard_id(0),
                                  ShardIteratorType="TRIM_HORIZON", DryRun=True)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_record(StreamName=stream + "-absent", PartitionKey="k", Data=b"x", DryRun=True)
    for shard in range(3):
        iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard_id(shard),
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        with pytest.raises(client.exceptions.DryRunOperationException):
            client.get_records(ShardIterator=iterator, DryRun=True)
        assert client.get_records(ShardIterator=iterator)["Records"] == []


def test_enhanced_monitoring_resource_tags_and_stream_mode(client, stream):
    """What Terraform's aws_kinesis_stream drives besides create/describe: shard-level metrics,
    tags (here by ARN) and the stream mode, read back through boto3's own parsing."""
    arn = stream_arn(stream)
    out = client.enable_enhanced_monitoring(StreamName=stream,
                                            ShardLevelMetrics=["IncomingBytes", "OutgoingBytes"])
    assert out["CurrentShardLevelMetrics"] == [] and out["StreamARN"] == arn
    assert sorted(out["DesiredShardLevelMetrics"]) == ["IncomingBytes", "OutgoingBytes"]
    summary = client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert sorted(summary["EnhancedMonitoring"][0]["ShardLevelMetrics"]) == \
        ["IncomingBytes", "OutgoingBytes"]
    out = client.disable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["ALL"])
    assert out["DesiredShardLevelMetrics"] == []

    client.tag_resource(ResourceARN=arn, Tags={"team": "data"})
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team",
                                                                       "Value": "data"}]
    assert client.list_tags_for_stream(StreamName=stream)["Tags"] == [{"Key": "team",
                                                                      "Value": "data"}]
    client.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == []

    client.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 3
