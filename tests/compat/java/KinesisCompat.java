// AWS SDK for Java v2 against kbridge. The SDK talks to Kinesis in CBOR (application/x-amz-cbor-1.1)
// unless AWS_CBOR_DISABLE is set, so this exercises kbridge's CBOR codec end to end.
//
// Usage: java -cp 'SDK_LIBS/*' KinesisCompat.java ENDPOINT STREAM_NAME
// Prints one line per step ("ok <step>: ...") and one "content-type <value>" line per HTTP request;
// exits 1 on the first failure. Run by tests/compat/test_java_sdk_cbor.py.

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

public final class KinesisCompat {
  /** Prints the Content-Type of every request as the SDK is about to send it. */
  static final class ContentTypeLogger implements ExecutionInterceptor {
    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
      String contentType = context.httpRequest().firstMatchingHeader("Content-Type").orElse("(none)");
      System.out.println("content-type " + contentType + " " + operation);
    }
  }

  static void check(boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException("check failed: " + what);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: KinesisCompat ENDPOINT STREAM_NAME");
      System.exit(2);
    }
    String name = args[1];
    try (KinesisClient kinesis = KinesisClient.builder()
        .endpointOverride(URI.create(args[0]))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
        .httpClient(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(30))
            .build())
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .addExecutionInterceptor(new ContentTypeLogger())
            .apiCallTimeout(Duration.ofSeconds(60))
            .build())
        .build()) {
      run(kinesis, name);
    } catch (Exception e) {
      System.out.println("FAILED: " + e);
      e.printStackTrace(System.out);
      System.exit(1);
    }
    System.out.println("all steps passed");
  }

  static void run(KinesisClient kinesis, String name) throws InterruptedException {
    kinesis.createStream(r -> r.streamName(name).shardCount(2));
    System.out.println("ok create-stream: " + name);

    StreamDescriptionSummary summary = null;
    Instant deadline = Instant.now().plusSeconds(30);
    while (true) {
      summary = kinesis.describeStreamSummary(r -> r.streamName(name)).streamDescriptionSummary();
      if (summary.streamStatus() == StreamStatus.ACTIVE || Instant.now().isAfter(deadline)) {
        break;
      }
      Thread.sleep(200);
    }
    check(name.equals(summary.streamName()), "StreamName is " + summary.streamName());
    check(summary.streamStatus() == StreamStatus.ACTIVE, "StreamStatus is " + summary.streamStatusAsString());
    check(summary.openShardCount() != null && summary.openShardCount() == 2,
        "OpenShardCount is " + summary.openShardCount());
    Instant created = summary.streamCreationTimestamp();
    Instant now = Instant.now();
    check(created != null && created.isAfter(now.minus(Duration.ofHours(1)))
        && created.isBefore(now.plus(Duration.ofMinutes(1))),
        "StreamCreationTimestamp " + created + " is not within the last hour of " + now);
    check(summary.retentionPeriodHours() == 24, "RetentionPeriodHours is " + summary.retentionPeriodHours());
    System.out.println("ok describe-stream-summary: status=" + summary.streamStatusAsString()
        + " open-shards=" + summary.openShardCount() + " created=" + created);

    List<Shard> shards = kinesis.listShards(r -> r.streamName(name)).shards();
    List<String> ids = shards.stream().map(Shard::shardId).collect(Collectors.toList());
    check(ids.equals(List.of("shardId-000000000000", "shardId-000000000001")), "shard ids are " + ids);
    check("0".equals(shards.get(0).hashKeyRange().startingHashKey()), "first shard starts at "
        + shards.get(0).hashKeyRange().startingHashKey());
    check("340282366920938463463374607431768211455".equals(shards.get(1).hashKeyRange().endingHashKey()),
        "last shard ends at " + shards.get(1).hashKeyRange().endingHashKey());
    System.out.println("ok list-shards: " + ids);

    kinesis.deleteStream(r -> r.streamName(name));
    System.out.println("ok delete-stream: " + name);

    deadline = Instant.now().plusSeconds(30);
    while (true) {
      try {
        StreamDescriptionSummary after =
            kinesis.describeStreamSummary(r -> r.streamName(name)).streamDescriptionSummary();
        check(Instant.now().isBefore(deadline), "stream still described after delete: " + after.streamStatusAsString());
        Thread.sleep(200);
      } catch (ResourceNotFoundException expected) {
        System.out.println("ok describe-after-delete: ResourceNotFoundException (HTTP "
            + expected.statusCode() + ")");
        break;
      }
    }
  }
}
