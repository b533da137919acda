// AWS SDK for Java v2 against kbridge, speaking CBOR (the SDK's default for Kinesis): the data plane.
//
// Usage: java -cp 'SDK_LIBS/*' KinesisDataPlane.java ENDPOINT STREAM WORKLOAD_TSV REPORT_JSONL BATCH CUT TRIM_LIMIT
// Creates STREAM with 4 shards and runs the scenario of tests/support/kinesis_checks.py on the records
// of WORKLOAD_TSV (lines: section TAB base64(UTF-8 key) TAB base64(data) TAB hash key or '-'),
// writing what it saw to REPORT_JSONL as one JSON event per line; tests/compat/test_data_plane_java.py
// checks the report and deletes the stream. Prints "scenario done", or "FAILED: ..." and exits 1.

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

public final class KinesisDataPlane {
  record Rec(String section, int index, String key, byte[] data, String ehk) {}

  static final List<String> events = new ArrayList<>();

  /** One JSON event; values are numbers, booleans, null or strings that need no escaping. */
  static void emit(Object... pairs) {
    StringBuilder json = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        json.append(',');
      }
      json.append('"').append(pairs[i]).append("\":");
      Object value = pairs[i + 1];
      if (value == null || value instanceof Number || value instanceof Boolean) {
        json.append(value);
      } else {
        json.append('"').append(value).append('"');
      }
    }
    synchronized (events) {
      events.add(json.append('}').toString());
    }
  }

  /** Logs the Content-Type and operation of every request as the SDK is about to send it. */
  static final class ContentTypeLogger implements ExecutionInterceptor {
    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      emit("ev", "http", "ct", context.httpRequest().firstMatchingHeader("Content-Type").orElse("(none)"),
          "op", attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  final KinesisClient kinesis;
  final String stream;
  final int batchSize;
  final int cut;
  final int trimLimit;
  final Map<String, List<Rec>> sections = new LinkedHashMap<>();
  final Map<String, String> shardOf = new HashMap<>(); // "section/index" -> shard id from the put answers

  KinesisDataPlane(KinesisClient kinesis, String stream, int batchSize, int cut, int trimLimit) {
    this.kinesis = kinesis;
    this.stream = stream;
    this.batchSize = batchSize;
    this.cut = cut;
    this.trimLimit = trimLimit;
    for (String s : List.of("bulk", "single", "latest")) {
      sections.put(s, new ArrayList<>());
    }
  }

  void putBatches(List<Rec> records) {
    for (int i = 0; i < records.size(); i += batchSize) {
      List<Rec> batch = records.subList(i, Math.min(records.size(), i + batchSize));
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (Rec r : batch) {
        entries.add(PutRecordsRequestEntry.builder().data(SdkBytes.fromByteArray(r.data()))
            .partitionKey(r.key()).explicitHashKey(r.ehk()).build());
      }
      PutRecordsResponse answer = kinesis.putRecords(b -> b.streamName(stream).records(entries));
      List<PutRecordsResultEntry> results = answer.records();
      long failed = results.stream().filter(e -> e.errorCode() != null).count();
      if (answer.failedRecordCount() == null || answer.failedRecordCount() != 0 || failed != 0
          || results.size() != batch.size()) {
        throw new IllegalStateException("PutRecords: FailedRecordCount " + answer.failedRecordCount() + ", "
            + results.size() + " answers for " + batch.size() + " records: " + results.subList(0, Math.min(5, results.size())));
      }
      for (int j = 0; j < batch.size(); j++) {
        Rec r = batch.get(j);
        shardOf.put(r.section() + "/" + r.index(), results.get(j).shardId());
        emit("ev", "put", "section", r.section(), "i", r.index(), "shard", results.get(j).shardId(),
            "seq", results.get(j).sequenceNumber());
      }
    }
  }

  int putCount(String shard, List<String> names) {
    int n = 0;
    for (String s : names) {
      for (Rec r : sections.get(s)) {
        if (shard.equals(shardOf.get(s + "/" + r.index()))) {
          n++;
        }
      }
    }
    return n;
  }

  String iterator(String shard, ShardIteratorType type, String sequenceNumber, Instant timestamp) {
    GetShardIteratorRequest.Builder request = GetShardIteratorRequest.builder()
        .streamName(stream).shardId(shard).shardIteratorType(type);
    if (sequenceNumber != null) {
      request.startingSequenceNumber(sequenceNumber);
    }
    if (timestamp != null) {
      request.timestamp(timestamp);
    }
    return kinesis.getShardIterator(request.build()).shardIterator();
  }

  String iterator(String shard, ShardIteratorType type) {
    return iterator(shard, type, null, null);
  }

  /** The scenario's read: stops at the first empty answer with MillisBehindLatest 0 once `want`
   * records are in. Returns the last NextShardIterator; adds the records to `out` when given. */
  String readShard(String kind, String shard, String shardIterator, Integer limit, int want, List<Record> out)
      throws InterruptedException {
    int got = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int call = 0; call < 1000 && shardIterator != null; call++) {
      final String current = shardIterator;
      long started = System.nanoTime();
      GetRecordsResponse answer = kinesis.getRecords(b -> b.shardIterator(current).limit(limit));
      long ms = Math.round((System.nanoTime() - started) / 1e6);
      emit("ev", "call", "read", kind, "shard", shard, "n", answer.records().size(),
          "millis", answer.millisBehindLatest(), "next", answer.nextShardIterator() != null, "ms", ms);
      for (Record r : answer.records()) {
        emit("ev", "rec", "read", kind, "shard", shard, "seq", r.sequenceNumber(),
            "key", b64(r.partitionKey().getBytes(StandardCharsets.UTF_8)), "data", b64(r.data().asByteArray()),
            "arrival", r.approximateArrivalTimestamp().toEpochMilli());
        if (out != null) {
          out.add(r);
        }
      }
      got += answer.records().size();
      shardIterator = answer.nextShardIterator();
      if (System.nanoTime() > deadline) {
        break;
      }
      if (answer.records().isEmpty()) {
        Long millis = answer.millisBehindLatest();
        if (got >= want && (millis == null || millis == 0)) {
          break;
        }
        Thread.sleep(100);
      }
    }
    return shardIterator;
  }

  void run(Path workload) throws IOException, InterruptedException {
    for (String line : Files.readAllLines(workload, StandardCharsets.US_ASCII)) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t");
      List<Rec> list = sections.get(f[0]);
      list.add(new Rec(f[0], list.size(), new String(Base64.getDecoder().decode(f[1]), StandardCharsets.UTF_8),
          Base64.getDecoder().decode(f[2]), f[3].equals("-") ? null : f[3]));
    }

    kinesis.createStream(b -> b.streamName(stream).shardCount(4));
    Instant deadline = Instant.now().plusSeconds(30);
    while (kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamStatus()
        != StreamStatus.ACTIVE) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(stream + " not ACTIVE after 30 s");
      }
      Thread.sleep(200);
    }
    List<String> ids = new ArrayList<>();
    for (Shard s : kinesis.listShards(b -> b.streamName(stream)).shards()) {
      emit("ev", "shard", "id", s.shardId(), "start", s.hashKeyRange().startingHashKey(),
          "end", s.hashKeyRange().endingHashKey());
      ids.add(s.shardId());
    }

    for (String shard : ids) {
      readShard("EMPTY", shard, iterator(shard, ShardIteratorType.TRIM_HORIZON), null, 0, null);
    }

    List<Rec> bulk = sections.get("bulk");
    emit("ev", "time", "name", "start", "ms", System.currentTimeMillis());
    putBatches(bulk.subList(0, cut));
    long cutMs = (System.currentTimeMillis() / 1000 + 1) * 1000; // the next whole second, then 20 ms past it
    Thread.sleep(Math.max(0, cutMs + 20 - System.currentTimeMillis()));
    emit("ev", "time", "name", "cut", "ms", cutMs);
    putBatches(bulk.subList(cut, bulk.size()));

    Rec first = sections.get("single").get(0);
    Rec second = sections.get("single").get(1);
    PutRecordResponse a = kinesis.putRecord(b -> b.streamName(stream).partitionKey(first.key())
        .data(SdkBytes.fromByteArray(first.data())));
    shardOf.put("single/0", a.shardId());
    emit("ev", "put", "section", "single", "i", 0, "shard", a.shardId(), "seq", a.sequenceNumber());
    PutRecordResponse b2 = kinesis.putRecord(b -> b.streamName(stream).partitionKey(second.key())
        .data(SdkBytes.fromByteArray(second.data())).sequenceNumberForOrdering(a.sequenceNumber()));
    shardOf.put("single/1", b2.shardId());
    emit("ev", "put", "section", "single", "i", 1, "shard", b2.shardId(), "seq", b2.sequenceNumber());

    Map<String, String> latest = new HashMap<>();
    for (String shard : ids) {
      latest.put(shard, readShard("LATEST", shard, iterator(shard, ShardIteratorType.LATEST), null, 0, null));
    }
    putBatches(sections.get("latest"));
    emit("ev", "time", "name", "end", "ms", System.currentTimeMillis());
    for (String shard : ids) {
      readShard("LATEST", shard, latest.get(shard), null, putCount(shard, List.of("latest")), null);
    }

    for (String shard : ids) {
      List<Record> trim = new ArrayList<>();
      readShard("TRIM_HORIZON", shard, iterator(shard, ShardIteratorType.TRIM_HORIZON), trimLimit,
          putCount(shard, List.of("bulk", "single", "latest")), trim);
      if (!trim.isEmpty()) {
        String start = trim.get(trim.size() * 3 / 4).sequenceNumber();
        for (ShardIteratorType kind : List.of(ShardIteratorType.AT_SEQUENCE_NUMBER,
            ShardIteratorType.AFTER_SEQUENCE_NUMBER)) {
          emit("ev", "start", "read", kind.toString(), "shard", shard, "seq", start);
          readShard(kind.toString(), shard, iterator(shard, kind, start, null), null, 0, null);
        }
      }
      readShard("AT_TIMESTAMP", shard,
          iterator(shard, ShardIteratorType.AT_TIMESTAMP, null, Instant.ofEpochMilli(cutMs)), null, 0, null);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println("usage: KinesisDataPlane ENDPOINT STREAM WORKLOAD_TSV REPORT_JSONL BATCH CUT TRIM_LIMIT");
      System.exit(2);
    }
    int status = 0;
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
            .retryStrategy(AwsRetryStrategy.doNotRetry())
            .apiCallTimeout(Duration.ofSeconds(60))
            .build())
        .build()) {
      new KinesisDataPlane(kinesis, args[1], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
          Integer.parseInt(args[6])).run(Path.of(args[2]));
      System.out.println("scenario done");
    } catch (Exception e) {
      System.out.println("FAILED: " + e);
      e.printStackTrace(System.out);
      status = 1;
    } finally {
      try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(args[3]), StandardCharsets.UTF_8))) {
        synchronized (events) {
          for (String event : events) {
            out.println(event);
          }
        }
      }
    }
    System.exit(status);
  }
}
