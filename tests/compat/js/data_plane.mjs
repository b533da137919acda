// AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis, JSON 1.1) against kbridge: the data plane.
//
// Usage: node data_plane.mjs ENDPOINT STREAM WORKLOAD_TSV REPORT_JSONL BATCH CUT TRIM_LIMIT
// Creates STREAM with 4 shards and runs the scenario of tests/support/kinesis_checks.py on the records
// of WORKLOAD_TSV (lines: section TAB base64(UTF-8 key) TAB base64(data) TAB hash key or '-'),
// writing what it saw to REPORT_JSONL as one JSON event per line; tests/compat/test_data_plane_js.py
// checks the report and deletes the stream. Exits 1 on the first failed call.

import { readFileSync, writeFileSync } from "node:fs";
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand,
  KinesisClient, ListShardsCommand, PutRecordCommand, PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const [endpoint, stream, workloadPath, reportPath, batchArg, cutArg, limitArg] = process.argv.slice(2);
if (!limitArg) {
  console.error("usage: node data_plane.mjs ENDPOINT STREAM WORKLOAD_TSV REPORT_JSONL BATCH CUT TRIM_LIMIT");
  process.exit(2);
}
const batchSize = Number(batchArg);
const cut = Number(cutArg);
const trimLimit = Number(limitArg);

const events = [];
const emit = (ev) => events.push(JSON.stringify(ev));
const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const client = new KinesisClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
  // The Kinesis client defaults to its HTTP/2 handler (for SubscribeToShard); on a plain http://
  // endpoint that means h2c with prior knowledge, which neither kbridge nor kinesalite speaks, so
  // the client fails with ERR_HTTP2_ERROR "Protocol error". Local setups pass the HTTP/1.1 handler.
  requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30000 }),
});
client.middlewareStack.add(
  (next, context) => async (args) => {
    emit({ ev: "http", ct: args.request.headers["content-type"] ?? "(none)", op: context.commandName });
    return next(args);
  },
  { step: "finalizeRequest", name: "contentTypeLogger" },
);

const sections = { bulk: [], single: [], latest: [] };
for (const line of readFileSync(workloadPath, "ascii").split("\n")) {
  if (!line) continue;
  const [section, key, data, ehk] = line.split("\t");
  sections[section].push({
    index: sections[section].length,
    section,
    key: Buffer.from(key, "base64").toString("utf8"),
    data: new Uint8Array(Buffer.from(data, "base64")),
    ehk: ehk === "-" ? undefined : ehk,
  });
}

const shardOf = {}; // section/index -> shard id, from the put answers

async function putBatches(records) {
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = records.slice(i, i + batchSize);
    const answer = await client.send(new PutRecordsCommand({
      StreamName: stream,
      Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.key, ExplicitHashKey: r.ehk })),
    }));
    const failed = answer.Records.filter((e) => e.ErrorCode);
    if ((answer.FailedRecordCount ?? 0) !== 0 || failed.length || answer.Records.length !== batch.length) {
      throw new Error(`PutRecords: FailedRecordCount ${answer.FailedRecordCount}, ${answer.Records.length} answers `
        + `for ${batch.length} records: ${JSON.stringify(failed.slice(0, 5))}`);
    }
    batch.forEach((r, j) => {
      const e = answer.Records[j];
      shardOf[`${r.section}/${r.index}`] = e.ShardId;
      emit({ ev: "put", section: r.section, i: r.index, shard: e.ShardId, seq: e.SequenceNumber });
    });
  }
}

const putCount = (shard, names) =>
  names.reduce((n, s) => n + sections[s].filter((r) => shardOf[`${s}/${r.index}`] === shard).length, 0);

async function iterator(shard, type, extra = {}) {
  const answer = await client.send(new GetShardIteratorCommand({
    StreamName: stream, ShardId: shard, ShardIteratorType: type, ...extra,
  }));
  return answer.ShardIterator;
}

// The scenario's read: stops at the first empty answer with MillisBehindLatest 0 once `want`
// records are in. Returns the last NextShardIterator and the records read.
async function readShard(kind, shard, shardIterator, { limit, want = 0 } = {}) {
  const records = [];
  const deadline = Date.now() + 30000;
  for (let call = 0; call < 1000 && shardIterator; call++) {
    const started = performance.now();
    const answer = await client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: limit }));
    const ms = Math.round(performance.now() - started);
    emit({ ev: "call", read: kind, shard, n: answer.Records.length, millis: answer.MillisBehindLatest ?? null,
           next: Boolean(answer.NextShardIterator), ms });
    for (const r of answer.Records) {
      if (!(r.Data instanceof Uint8Array) || !(r.ApproximateArrivalTimestamp instanceof Date)) {
        throw new Error(`record ${r.SequenceNumber}: Data or ApproximateArrivalTimestamp of the wrong type`);
      }
      records.push(r);
      emit({ ev: "rec", read: kind, shard, seq: r.SequenceNumber, key: b64(Buffer.from(r.PartitionKey, "utf8")),
             data: b64(r.Data), arrival: r.ApproximateArrivalTimestamp.getTime() });
    }
    shardIterator = answer.NextShardIterator;
    if (Date.now() > deadline) break;
    if (answer.Records.length === 0) {
      if (records.length >= want && (answer.MillisBehindLatest ?? 0) === 0) break;
      await sleep(100);
    }
  }
  return { shardIterator, records };
}

async function main() {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 4 }));
  for (let i = 0; ; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (summary.StreamDescriptionSummary.StreamStatus === "ACTIVE") break;
    if (i > 150) throw new Error(`${stream} not ACTIVE after 30 s`);
    await sleep(200);
  }
  const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards;
  for (const s of shards) {
    emit({ ev: "shard", id: s.ShardId, start: s.HashKeyRange.StartingHashKey, end: s.HashKeyRange.EndingHashKey });
  }
  const ids = shards.map((s) => s.ShardId);

  for (const shard of ids) await readShard("EMPTY", shard, await iterator(shard, "TRIM_HORIZON"));

  emit({ ev: "time", name: "start", ms: Date.now() });
  await putBatches(sections.bulk.slice(0, cut));
  const cutMs = (Math.floor(Date.now() / 1000) + 1) * 1000; // the next whole second, then 20 ms past it
  await sleep(Math.max(0, cutMs + 20 - Date.now()));
  emit({ ev: "time", name: "cut", ms: cutMs });
  await putBatches(sections.bulk.slice(cut));

  const [first, second] = sections.single;
  const a = await client.send(new PutRecordCommand({ StreamName: stream, Data: first.data, PartitionKey: first.key }));
  shardOf["single/0"] = a.ShardId;
  emit({ ev: "put", section: "single", i: 0, shard: a.ShardId, seq: a.SequenceNumber });
  const b = await client.send(new PutRecordCommand({
    StreamName: stream, Data: second.data, PartitionKey: second.key, SequenceNumberForOrdering: a.SequenceNumber,
  }));
  shardOf["single/1"] = b.ShardId;
  emit({ ev: "put", section: "single", i: 1, shard: b.ShardId, seq: b.SequenceNumber });

  const latest = {};
  for (const shard of ids) latest[shard] = (await readShard("LATEST", shard, await iterator(shard, "LATEST"))).shardIterator;
  await putBatches(sections.latest);
  emit({ ev: "time", name: "end", ms: Date.now() });
  for (const shard of ids) {
    await readShard("LATEST", shard, latest[shard], { want: putCount(shard, ["latest"]) });
  }

  for (const shard of ids) {
    const trim = await readShard("TRIM_HORIZON", shard, await iterator(shard, "TRIM_HORIZON"),
      { limit: trimLimit, want: putCount(shard, ["bulk", "single", "latest"]) });
    if (trim.records.length) {
      const start = trim.records[Math.floor(trim.records.length * 3 / 4)].SequenceNumber;
      for (const kind of ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"]) {
        emit({ ev: "start", read: kind, shard, seq: start });
        await readShard(kind, shard, await iterator(shard, kind, { StartingSequenceNumber: start }));
      }
    }
    await readShard("AT_TIMESTAMP", shard, await iterator(shard, "AT_TIMESTAMP", { Timestamp: new Date(cutMs) }));
  }
}

try {
  await main();
  console.log("scenario done");
} catch (err) {
  console.log(`FAILED: ${err.name}: ${err.message}`);
  if (err.$metadata) console.log(`metadata: ${JSON.stringify(err.$metadata)}`);
  if (err.$response) console.log(`response: ${err.$response.statusCode} ${JSON.stringify(err.$response.headers)}`);
  process.exitCode = 1;
} finally {
  writeFileSync(reportPath, events.join("\n") + "\n");
}
