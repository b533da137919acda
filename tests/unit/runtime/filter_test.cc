#include "runtime/filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace kbridge::runtime {
namespace {

using Json = nlohmann::json;

Record record(std::string data, std::string partitionKey = "user-42") {
  Record r;
  r.offset = 7;
  r.sequenceNumber = "49590338271490256608559692538361571095921575989136588898";
  r.partitionKey = std::move(partitionKey);
  r.data = std::move(data);
  r.arrivalMs = 1545084650987;
  return r;
}

// Compiles `patterns` (a JSON array, or one object) and fails the test on any error.
RecordFilter compiled(const std::string& patterns) {
  Json j = Json::parse(patterns);
  if (j.is_object()) j = Json::array({j});
  std::vector<std::string> errors;
  auto filter = RecordFilter::compile(j, "$.f", errors);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_TRUE(filter.has_value()) << patterns << "\n" << all;
  EXPECT_TRUE(errors.empty()) << all;
  if (!filter) {
    std::vector<std::string> ignored;
    return *RecordFilter::compile(Json::parse(R"([{"partitionKey":[{"exists":true}]}])"), "$",
                                  ignored);
  }
  return *filter;
}

std::vector<std::string> compileErrors(const std::string& patterns) {
  std::vector<std::string> errors;
  auto filter = RecordFilter::compile(Json::parse(patterns), "$.mappings[0].filter", errors);
  EXPECT_FALSE(filter.has_value()) << patterns;
  return errors;
}

struct MatchCase {
  const char* pattern;  // one pattern object
  const char* data;     // the record's bytes
  bool matches;
};

void expectCases(const std::vector<MatchCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("pattern ") + c.pattern + "  data " + c.data);
    EXPECT_EQ(compiled(c.pattern).matches(record(c.data)), c.matches);
  }
}

TEST(RecordFilter, ExactValues) {
  expectCases({
      {R"({"data":{"type":["buy"]}})", R"({"type":"buy"})", true},
      {R"({"data":{"type":["buy"]}})", R"({"type":"sell"})", false},
      {R"({"data":{"type":["buy"]}})", R"({"type":"BUY"})", false},
      {R"({"data":{"type":["buy","sell"]}})", R"({"type":"sell"})", true},
      {R"({"data":{"type":["buy"]}})", R"({"kind":"buy"})", false},
      {R"({"data":{"type":[""]}})", R"({"type":""})", true},
      {R"({"data":{"type":[""]}})", R"({"type":null})", false},
      {R"({"data":{"type":[null]}})", R"({"type":null})", true},
      {R"({"data":{"type":[null]}})", R"({"type":""})", false},
      {R"({"data":{"type":[null]}})", R"({})", false},
      {R"({"data":{"ok":[true]}})", R"({"ok":true})", true},
      {R"({"data":{"ok":[true]}})", R"({"ok":"true"})", false},
      {R"({"data":{"ok":[false]}})", R"({"ok":false})", true},
      {R"({"data":{"n":[300]}})", R"({"n":300})", true},
      {R"({"data":{"n":[300]}})", R"({"n":300.0})", true},
      {R"({"data":{"n":[300]}})", R"({"n":3.0e2})", true},
      {R"({"data":{"n":[3.0e2]}})", R"({"n":300})", true},
      {R"({"data":{"n":[300]}})", R"({"n":301})", false},
      {R"({"data":{"n":[300]}})", R"({"n":300.5})", false},
      {R"({"data":{"n":[300]}})", R"({"n":"300"})", false},
      {R"({"data":{"n":["300"]}})", R"({"n":300})", false},
      {R"({"data":{"n":[-1.5]}})", R"({"n":-1.5})", true},
      {R"({"data":{"n":[9007199254740993]}})", R"({"n":9007199254740992})", false},
      {R"({"data":{"n":[9007199254740993]}})", R"({"n":9007199254740993})", true},
      {R"({"data":{"type":[{"exactly":"buy"}]}})", R"({"type":"buy"})", true},
  });
}

TEST(RecordFilter, StringConditions) {
  expectCases({
      {R"({"data":{"r":[{"prefix":"us-"}]}})", R"({"r":"us-east-1"})", true},
      {R"({"data":{"r":[{"prefix":"us-"}]}})", R"({"r":"eu-west-1"})", false},
      {R"({"data":{"r":[{"prefix":"us-"}]}})", R"({"r":"us"})", false},
      {R"({"data":{"r":[{"prefix":""}]}})", R"({"r":"anything"})", true},
      {R"({"data":{"r":[{"prefix":"1"}]}})", R"({"r":123})", false},
      {R"({"data":{"r":[{"prefix":{"equals-ignore-case":"US-"}}]}})", R"({"r":"us-east"})", true},
      {R"({"data":{"f":[{"suffix":".png"}]}})", R"({"f":"cat.png"})", true},
      {R"({"data":{"f":[{"suffix":".png"}]}})", R"({"f":"cat.PNG"})", false},
      {R"({"data":{"f":[{"suffix":{"equals-ignore-case":".png"}}]}})", R"({"f":"cat.PNG"})", true},
      {R"({"data":{"f":[{"suffix":".png"}]}})", R"({"f":"png"})", false},
      {R"({"data":{"s":[{"equals-ignore-case":"Running"}]}})", R"({"s":"RUNNING"})", true},
      {R"({"data":{"s":[{"equals-ignore-case":"Running"}]}})", R"({"s":"runnin"})", false},
      {R"({"data":{"s":[{"equals-ignore-case":"1"}]}})", R"({"s":1})", false},
  });
}

TEST(RecordFilter, Wildcard) {
  expectCases({
      {R"({"data":{"k":[{"wildcard":"Simple*Service"}]}})", R"({"k":"SimpleQueueService"})", true},
      {R"({"data":{"k":[{"wildcard":"Simple*Service"}]}})", R"({"k":"SimpleService"})", true},
      {R"({"data":{"k":[{"wildcard":"Simple*Service"}]}})", R"({"k":"SimpleServices"})", false},
      {R"({"data":{"k":[{"wildcard":"*.png"}]}})", R"({"k":"dir/a.png"})", true},
      {R"({"data":{"k":[{"wildcard":"dir/*"}]}})", R"({"k":"dir/"})", true},
      {R"({"data":{"k":[{"wildcard":"a*b*c"}]}})", R"({"k":"aXbYbZc"})", true},
      {R"({"data":{"k":[{"wildcard":"a*b*c"}]}})", R"({"k":"acb"})", false},
      {R"({"data":{"k":[{"wildcard":"ab*ab"}]}})", R"({"k":"aba"})", false},
      {R"({"data":{"k":[{"wildcard":"*"}]}})", R"({"k":""})", true},
      {R"({"data":{"k":[{"wildcard":"*"}]}})", R"({"k":5})", false},
      {R"({"data":{"k":[{"wildcard":"a\\*b"}]}})", R"({"k":"a*b"})", true},
      {R"({"data":{"k":[{"wildcard":"a\\*b"}]}})", R"({"k":"axb"})", false},
      {R"({"data":{"k":[{"wildcard":"a\\\\b"}]}})", R"({"k":"a\\b"})", true},
      {R"({"data":{"k":[{"wildcard":"exact"}]}})", R"({"k":"exact"})", true},
  });
}

TEST(RecordFilter, AnythingBut) {
  expectCases({
      {R"({"data":{"s":[{"anything-but":"init"}]}})", R"({"s":"running"})", true},
      {R"({"data":{"s":[{"anything-but":"init"}]}})", R"({"s":"init"})", false},
      {R"({"data":{"s":[{"anything-but":"init"}]}})", R"({})", false},
      {R"({"data":{"s":[{"anything-but":"init"}]}})", R"({"s":7})", true},
      {R"({"data":{"s":[{"anything-but":"init"}]}})", R"({"s":null})", true},
      {R"({"data":{"s":[{"anything-but":["a","b"]}]}})", R"({"s":"b"})", false},
      {R"({"data":{"s":[{"anything-but":["a","b"]}]}})", R"({"s":"c"})", true},
      {R"({"data":{"x":[{"anything-but":123}]}})", R"({"x":123.0})", false},
      {R"({"data":{"x":[{"anything-but":123}]}})", R"({"x":124})", true},
      {R"({"data":{"x":[{"anything-but":123}]}})", R"({"x":"123"})", true},
      {R"({"data":{"x":[{"anything-but":[100,200]}]}})", R"({"x":200})", false},
      {R"({"data":{"s":[{"anything-but":{"prefix":"init"}}]}})", R"({"s":"initializing"})", false},
      {R"({"data":{"s":[{"anything-but":{"prefix":"init"}}]}})", R"({"s":"running"})", true},
      {R"({"data":{"s":[{"anything-but":{"prefix":["a","b"]}}]}})", R"({"s":"bx"})", false},
      {R"({"data":{"f":[{"anything-but":{"suffix":".png"}}]}})", R"({"f":"a.png"})", false},
      {R"({"data":{"f":[{"anything-but":{"suffix":".png"}}]}})", R"({"f":"a.jpg"})", true},
      {R"({"data":{"s":[{"anything-but":{"equals-ignore-case":"INIT"}}]}})", R"({"s":"Init"})",
       false},
      {R"({"data":{"s":[{"anything-but":{"equals-ignore-case":["x","y"]}}]}})", R"({"s":"Z"})",
       true},
      {R"({"data":{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}})", R"({"p":"/usr/lib/x"})",
       false},
      {R"({"data":{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}})", R"({"p":"/usr/bin/x"})",
       true},
      // Arrays: any element that is not excluded lets the field pass.
      {R"({"data":{"s":[{"anything-but":"a"}]}})", R"({"s":["a","b"]})", true},
      {R"({"data":{"s":[{"anything-but":"a"}]}})", R"({"s":["a","a"]})", false},
  });
}

TEST(RecordFilter, Numeric) {
  expectCases({
      {R"({"data":{"n":[{"numeric":[">",0,"<=",5]}]}})", R"({"n":5})", true},
      {R"({"data":{"n":[{"numeric":[">",0,"<=",5]}]}})", R"({"n":0})", false},
      {R"({"data":{"n":[{"numeric":[">",0,"<=",5]}]}})", R"({"n":0.000001})", true},
      {R"({"data":{"n":[{"numeric":[">",0,"<=",5]}]}})", R"({"n":5.5})", false},
      {R"({"data":{"n":[{"numeric":[">=",0,"<",5]}]}})", R"({"n":0})", true},
      {R"({"data":{"n":[{"numeric":[">=",0,"<",5]}]}})", R"({"n":5})", false},
      {R"({"data":{"n":[{"numeric":["<",10]}]}})", R"({"n":-1e9})", true},
      {R"({"data":{"n":[{"numeric":["<=",10]}]}})", R"({"n":10})", true},
      {R"({"data":{"n":[{"numeric":[">",10]}]}})", R"({"n":10})", false},
      {R"({"data":{"n":[{"numeric":[">=",10]}]}})", R"({"n":10})", true},
      {R"({"data":{"n":[{"numeric":["=",3.018e2]}]}})", R"({"n":301.8})", true},
      {R"({"data":{"n":[{"numeric":["=",100]}]}})", R"({"n":100.5})", false},
      {R"({"data":{"n":[{"numeric":[">",0]}]}})", R"({"n":"5"})", false},
      {R"({"data":{"n":[{"numeric":[">",0]}]}})", R"({"n":true})", false},
      {R"({"data":{"n":[{"numeric":[">",0]}]}})", R"({})", false},
  });
}

TEST(RecordFilter, Exists) {
  expectCases({
      {R"({"data":{"c":[{"exists":true}]}})", R"({"c":1})", true},
      {R"({"data":{"c":[{"exists":true}]}})", R"({"c":null})", true},
      {R"({"data":{"c":[{"exists":true}]}})", R"({"c":""})", true},
      {R"({"data":{"c":[{"exists":true}]}})", R"({"d":1})", false},
      {R"({"data":{"c":[{"exists":false}]}})", R"({"d":1})", true},
      {R"({"data":{"c":[{"exists":false}]}})", R"({"c":1})", false},
      // exists looks at leaves: an object is not one, nor is an empty array.
      {R"({"data":{"c":[{"exists":false}]}})", R"({"c":{"c1":100}})", true},
      {R"({"data":{"c":[{"exists":true}]}})", R"({"c":{"c1":100}})", false},
      {R"({"data":{"c":[{"exists":false}]}})", R"({"c":[]})", true},
      {R"({"data":{"c":[{"exists":true}]}})", R"({"c":[3]})", true},
      // Combined with a value: absent or "x".
      {R"({"data":{"c":[{"exists":false},"x"]}})", R"({})", true},
      {R"({"data":{"c":[{"exists":false},"x"]}})", R"({"c":"x"})", true},
      {R"({"data":{"c":[{"exists":false},"x"]}})", R"({"c":"y"})", false},
      // A missing parent object: the leaf is absent.
      {R"({"data":{"a":{"b":[{"exists":false}]}}})", R"({"z":1})", true},
      {R"({"data":{"a":{"b":[{"exists":true}]}}})", R"({"z":1})", false},
  });
}

TEST(RecordFilter, NestingAndAnd) {
  expectCases({
      {R"({"data":{"order":{"type":["buy"],"qty":[{"numeric":[">=",1000]}]}}})",
       R"({"record":12345,"order":{"type":"buy","stock":"ANYCO","quantity":1000,"qty":1000}})",
       true},
      {R"({"data":{"order":{"type":["buy"],"qty":[{"numeric":[">=",1000]}]}}})",
       R"({"order":{"type":"buy","qty":999}})", false},
      {R"({"data":{"a":{"b":{"c":["deep"]}}}})", R"({"a":{"b":{"c":"deep"}}})", true},
      {R"({"data":{"a":{"b":{"c":["deep"]}}}})", R"({"a":{"b":"c"}})", false},
      {R"({"data":{"a":{"b":["x"]}}})", R"({"a":"b"})", false},
      {R"({"data":{"a":["x"]}})", R"({"a":{"b":"x"}})", false},
      {R"({"data":{"x":["1"],"y":["2"]}})", R"({"x":"1","y":"2"})", true},
      {R"({"data":{"x":["1"],"y":["2"]}})", R"({"x":"1","y":"3"})", false},
  });
}

TEST(RecordFilter, ArraysInTheEvent) {
  expectCases({
      // A leaf matches when any element matches; nested arrays are flattened.
      {R"({"data":{"tags":["red"]}})", R"({"tags":["blue","red"]})", true},
      {R"({"data":{"tags":["red"]}})", R"({"tags":["blue"]})", false},
      {R"({"data":{"tags":["red"]}})", R"({"tags":[["blue"],["red"]]})", true},
      {R"({"data":{"tags":[{"prefix":"r"}]}})", R"({"tags":[1,"rose"]})", true},
      {R"({"data":{"tags":["red"]}})", R"({"tags":[]})", false},
      {R"({"data":{"n":[{"numeric":[">",10]}]}})", R"({"n":[1,2,30]})", true},
      // Objects in arrays: one element must match the whole sub-pattern.
      {R"({"data":{"emp":{"first":["Anna"]}}})",
       R"({"emp":[{"first":"John","last":"Doe"},{"first":"Anna","last":"Smith"}]})", true},
      {R"({"data":{"emp":{"first":["Anna"],"last":["Smith"]}}})",
       R"({"emp":[{"first":"John","last":"Doe"},{"first":"Anna","last":"Smith"}]})", true},
      {R"({"data":{"emp":{"first":["Anna"],"last":["Doe"]}}})",
       R"({"emp":[{"first":"John","last":"Doe"},{"first":"Anna","last":"Smith"}]})", false},
      {R"({"data":{"emp":{"first":["Peter"]}}})",
       R"({"emp":[[{"first":"John"},{"first":"Anna"}],[{"first":"Peter"}]]})", true},
      {R"({"data":{"emp":{"first":[{"exists":false}]}}})", R"({"emp":[]})", true},
  });
}

TEST(RecordFilter, OrPrimitive) {
  expectCases({
      {R"({"data":{"$or":[{"a":["1"]},{"b":["2"]}]}})", R"({"b":"2"})", true},
      {R"({"data":{"$or":[{"a":["1"]},{"b":["2"]}]}})", R"({"a":"1"})", true},
      {R"({"data":{"$or":[{"a":["1"]},{"b":["2"]}]}})", R"({"a":"2","b":"1"})", false},
      {R"({"data":{"src":["cw"],"$or":[{"a":["1"]},{"b":["2"],"c":["3"]}]}})",
       R"({"src":"cw","b":"2","c":"3"})", true},
      {R"({"data":{"src":["cw"],"$or":[{"a":["1"]},{"b":["2"],"c":["3"]}]}})",
       R"({"src":"cw","b":"2"})", false},
      {R"({"data":{"src":["cw"],"$or":[{"a":["1"]},{"b":["2"]}]}})", R"({"src":"x","a":"1"})",
       false},
      // Top-level $or mixes the record's keys and data.
      {R"({"$or":[{"partitionKey":["other"]},{"data":{"a":["1"]}}]})", R"({"a":"1"})", true},
      {R"({"$or":[{"partitionKey":["user-42"]},{"data":{"a":["1"]}}]})", "not json", true},
      {R"({"$or":[{"partitionKey":["other"]},{"data":{"a":["1"]}}]})", "not json", false},
  });
}

TEST(RecordFilter, RecordMetadata) {
  expectCases({
      {R"({"partitionKey":["user-42"]})", "x", true},
      {R"({"partitionKey":["user-43"]})", "x", false},
      {R"({"partitionKey":[{"prefix":"user-"}]})", "x", true},
      {R"({"partitionKey":[{"anything-but":"user-42"}]})", "x", false},
      {R"({"partitionKey":[{"exists":true}]})", "x", true},
      {R"({"partitionKey":[{"exists":false}]})", "x", false},
      {R"({"sequenceNumber":[{"prefix":"4959033827"}]})", "x", true},
      {R"({"kinesisSchemaVersion":["1.0"]})", "x", true},
      {R"({"approximateArrivalTimestamp":[{"numeric":[">",1545084650,"<",1545084651]}]})", "x",
       true},
      {R"({"approximateArrivalTimestamp":[1545084650.987]})", "x", true},
      {R"({"approximateArrivalTimestamp":[{"numeric":[">=",1545084651]}]})", "x", false},
      {R"({"partitionKey":["user-42"],"data":{"a":["1"]}})", R"({"a":"1"})", true},
      {R"({"partitionKey":["user-42"],"data":{"a":["1"]}})", R"({"a":"2"})", false},
      {R"({"partitionKey":["nope"],"data":{"a":["1"]}})", R"({"a":"1"})", false},
  });
}

TEST(RecordFilter, DataThatIsNotJson) {
  expectCases({
      // A pattern that looks into data never matches bytes that are not JSON...
      {R"({"data":{"a":[{"exists":false}]}})", "plain text", false},
      {R"({"data":{"a":[{"anything-but":"x"}]}})", "", false},
      {R"({"data":{"a":["1"]}})", R"({"a":"1")", false},
      {R"({"data":{"a":["1"]}})", "\xff\xfe{}", false},
      // ...while one on the record's keys alone still does.
      {R"({"partitionKey":["user-42"]})", "plain text", true},
      // JSON that is not an object: its fields are simply absent.
      {R"({"data":{"a":[{"exists":false}]}})", "42", true},
      {R"({"data":{"a":["1"]}})", R"("a string")", false},
      {R"({"data":{"a":["1"]}})", R"([{"a":"1"}])", true},
      {R"({"data":{"a":["1"]}})", R"(  {"a":"1"}  )", true},
  });
}

TEST(RecordFilter, PatternsAreOred) {
  auto f = compiled(R"([{"data":{"t":["a"]}},{"data":{"t":["b"]}},{"partitionKey":["vip"]}])");
  EXPECT_EQ(f.patternCount(), 3u);
  EXPECT_TRUE(f.matches(record(R"({"t":"a"})")));
  EXPECT_TRUE(f.matches(record(R"({"t":"b"})")));
  EXPECT_FALSE(f.matches(record(R"({"t":"c"})")));
  EXPECT_TRUE(f.matches(record(R"({"t":"c"})", "vip")));
  EXPECT_TRUE(f.matches(record("not json", "vip")));
  EXPECT_FALSE(f.matches(record("not json")));
}

TEST(RecordFilter, NeedsData) {
  EXPECT_FALSE(compiled(R"({"partitionKey":["a"]})").needsData());
  EXPECT_TRUE(compiled(R"({"data":{"a":["1"]}})").needsData());
  EXPECT_TRUE(compiled(R"([{"partitionKey":["a"]},{"data":{"a":["1"]}}])").needsData());
  EXPECT_TRUE(compiled(R"({"$or":[{"partitionKey":["a"]},{"data":{"a":["1"]}}]})").needsData());
}

TEST(RecordFilter, CopiesShareAndStayUsable) {
  std::optional<RecordFilter> copy;
  {
    auto f = compiled(R"({"data":{"a":["1"]}})");
    copy = f;
  }
  EXPECT_TRUE(copy->matches(record(R"({"a":"1"})")));
}

TEST(RecordFilter, MatchesFromManyThreadsAtOnce) {
  const auto f = compiled(R"([{"data":{"n":[{"numeric":[">",0]}]}},{"partitionKey":["vip"]}])");
  const Record yes = record(R"({"n":1})"), no = record(R"({"n":0})"), vip = record("x", "vip");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!f.matches(yes) || f.matches(no) || !f.matches(vip)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(RecordFilter, DeeplyNestedDataDoesNotOverflow) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto f = compiled(R"({"data":{"a":[{"exists":false}]}})");
  EXPECT_TRUE(f.matches(record(deep)));
  std::string deepField = R"({"a":)" + std::string(5000, '[') + "1" + std::string(5000, ']') + "}";
  EXPECT_FALSE(compiled(R"({"data":{"a":[1]}})").matches(record(deepField)))
      << "leaves below the depth limit are not looked at";
  EXPECT_TRUE(compiled(R"({"data":{"a":[1]}})").matches(record(R"({"a":[[[1]]]})")));
}

TEST(RecordFilterCompile, ValidPatternsCompile) {
  for (
      const char* p : {
          R"([{"data":{"a":["x",1,1.5,true,false,null]}}])",
          R"([{"data":{"a":[{"prefix":"x"},{"suffix":"y"},{"equals-ignore-case":"z"}]}}])",
          R"([{"data":{"a":[{"wildcard":"*x\\*y*"}]}}])",
          R"([{"data":{"a":[{"numeric":["=",1]},{"numeric":["<",1]},{"numeric":[">=",0,"<",1]}]}}])",
          R"([{"data":{"a":[{"anything-but":["x","y"]},{"anything-but":[1,2]}]}}])",
          R"([{"data":{"a":[{"anything-but":{"prefix":"x"}},{"anything-but":{"suffix":["y"]}}]}}])",
          R"([{"data":{"a":[{"exists":true}]},"partitionKey":["k"]}])",
          R"([{"$or":[{"partitionKey":["a"]},{"sequenceNumber":["1"]}]}])",
      }) {
    std::vector<std::string> errors;
    EXPECT_TRUE(RecordFilter::compile(Json::parse(p), "$", errors).has_value()) << p;
    EXPECT_TRUE(errors.empty()) << p << ": " << (errors.empty() ? "" : errors[0]);
  }
}

struct ErrorCase {
  const char* patterns;
  std::vector<std::string> errors;
};

TEST(RecordFilterCompile, InvalidPatternsReportEveryErrorWithItsPath) {
  const std::string p = "$.mappings[0].filter";
  const std::vector<ErrorCase> cases = {
      {R"([])", {p + ": must be a non-empty array of pattern objects"}},
      {R"({"data":{}})", {p + ": must be a non-empty array of pattern objects"}},
      {R"([5])", {p + "[0]: must be a pattern object"}},
      {R"([{}])", {p + "[0]: must not be an empty object"}},
      {R"([{"eventName":["x"]}])",
       {p + "[0].eventName: unknown key; a Kinesis record has partitionKey, sequenceNumber, "
            "approximateArrivalTimestamp, kinesisSchemaVersion and data"}},
      {R"([{"data":["x"]}])",
       {p + "[0].data: must be a pattern object (Lambda filters Kinesis data only as JSON)"}},
      {R"([{"partitionKey":"x"}])", {p + "[0].partitionKey: must be an array of match conditions"}},
      {R"([{"partitionKey":{"a":["x"]}}])",
       {p + "[0].partitionKey: must be an array of match conditions"}},
      {R"([{"data":{"a":"x"}}])",
       {p + "[0].data.a: must be an array of match conditions or a nested pattern object"}},
      {R"([{"data":{"a":[]}}])", {p + "[0].data.a: must not be an empty array"}},
      {R"([{"data":{"a":{}}}])", {p + "[0].data.a: must not be an empty object"}},
      {R"([{"data":{"a":[["x"]]}}])",
       {p + "[0].data.a: a match condition must be a string, number, boolean, null or an object "
            "such as {\"prefix\": \"...\"}"}},
      {R"([{"data":{"a":[{"prefix":"x","suffix":"y"}]}}])",
       {p + "[0].data.a: a match condition object must have exactly one key"}},
      {R"([{"data":{"a":[{"regex":"x"}]}}])",
       {p + "[0].data.a: unknown match condition \"regex\" (supported: prefix, suffix, "
            "equals-ignore-case, wildcard, anything-but, numeric, exists, exactly)"}},
      {R"([{"data":{"a":[{"prefix":1}]}}])",
       {p + "[0].data.a: prefix must be a string or {\"equals-ignore-case\": \"...\"}"}},
      {R"([{"data":{"a":[{"suffix":{"prefix":"x"}}]}}])",
       {p + "[0].data.a: suffix must be a string or {\"equals-ignore-case\": \"...\"}"}},
      {R"([{"data":{"a":[{"equals-ignore-case":["x"]}]}}])",
       {p + "[0].data.a: equals-ignore-case must be a string"}},
      {R"([{"data":{"a":[{"exists":"yes"}]}}])", {p + "[0].data.a: exists must be true or false"}},
      {R"([{"data":{"amount":[{"numeric":[">"]}]}}])",
       {p + "[0].data.amount: numeric needs an operator followed by a number"}},
      {R"([{"data":{"amount":[{"numeric":[">","5"]}]}}])",
       {p + "[0].data.amount: numeric needs an operator followed by a number"}},
      {R"([{"data":{"amount":[{"numeric":5}]}}])",
       {p + "[0].data.amount: numeric needs an operator followed by a number"}},
      {R"([{"data":{"amount":[{"numeric":["!=",5]}]}}])",
       {p + "[0].data.amount: numeric: unknown operator \"!=\" (use =, <, <=, >, >=)"}},
      {R"([{"data":{"amount":[{"numeric":["=",5,"<",6]}]}}])",
       {p + "[0].data.amount: numeric: \"=\" takes a single number"}},
      {R"([{"data":{"amount":[{"numeric":["<",5,">",1]}]}}])",
       {p + "[0].data.amount: numeric: a range is a lower bound (> or >=) followed by an upper "
            "bound (< or <=)"}},
      {R"([{"data":{"amount":[{"numeric":[">",1,">=",5]}]}}])",
       {p + "[0].data.amount: numeric: a range is a lower bound (> or >=) followed by an upper "
            "bound (< or <=)"}},
      {R"([{"data":{"amount":[{"numeric":[">=",5,"<",5]}]}}])",
       {p + "[0].data.amount: numeric: the lower bound must be below the upper bound"}},
      {R"([{"data":{"a":[{"anything-but":["x",1]}]}}])",
       {p + "[0].data.a: anything-but must be a string, a number, a non-empty list of only "
            "strings or only numbers, or an object with one of prefix, suffix, "
            "equals-ignore-case, wildcard"}},
      {R"([{"data":{"a":[{"anything-but":[]}]}}])",
       {p + "[0].data.a: anything-but must be a string, a number, a non-empty list of only "
            "strings or only numbers, or an object with one of prefix, suffix, "
            "equals-ignore-case, wildcard"}},
      {R"([{"data":{"a":[{"anything-but":null}]}}])",
       {p + "[0].data.a: anything-but must be a string, a number, a non-empty list of only "
            "strings or only numbers, or an object with one of prefix, suffix, "
            "equals-ignore-case, wildcard"}},
      {R"([{"data":{"a":[{"anything-but":{"numeric":[">",1]}}]}}])",
       {p + "[0].data.a: anything-but must be a string, a number, a non-empty list of only "
            "strings or only numbers, or an object with one of prefix, suffix, "
            "equals-ignore-case, wildcard"}},
      {R"([{"data":{"a":[{"anything-but":{"prefix":1}}]}}])",
       {p + "[0].data.a: anything-but prefix must be a string or a non-empty list of strings"}},
      {R"([{"data":{"a":[{"anything-but":{"exists":"x"}}]}}])",
       {p + "[0].data.a: anything-but must be a string, a number, a non-empty list of only "
            "strings or only numbers, or an object with one of prefix, suffix, "
            "equals-ignore-case, wildcard"}},
      {R"([{"data":{"a":[{"wildcard":"a**b"}]}}])",
       {p + "[0].data.a: wildcard: consecutive '*' are not allowed"}},
      {R"([{"data":{"a":[{"wildcard":"a\\b"}]}}])",
       {p + "[0].data.a: wildcard: a backslash may only escape '*' or '\\'"}},
      {R"([{"data":{"a":[{"anything-but":{"wildcard":"x**"}}]}}])",
       {p + "[0].data.a: wildcard: consecutive '*' are not allowed"}},
      {R"([{"data":{"$or":[{"a":["1"]}]}}])",
       {p + "[0].data.$or: must be an array of at least two pattern objects"}},
      {R"([{"$or":{"a":["1"]}}])",
       {p + "[0].$or: must be an array of at least two pattern objects"}},
      {R"([{"$or":[{"partitionKey":["1"]},{"shardId":["x"]}]}])",
       {p + "[0].$or[1].shardId: unknown key; a Kinesis record has partitionKey, sequenceNumber, "
            "approximateArrivalTimestamp, kinesisSchemaVersion and data"}},
      // Every error of every pattern, at once.
      {R"([{"data":{"a":[]}},{"partitionKey":["ok"]},{"data":{"b":{"c":[{"numeric":[]}]}},"x":[1]}])",
       {p + "[0].data.a: must not be an empty array",
        p + "[2].data.b.c: numeric needs an operator followed by a number",
        p + "[2].x: unknown key; a Kinesis record has partitionKey, sequenceNumber, "
            "approximateArrivalTimestamp, kinesisSchemaVersion and data"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.patterns);
    EXPECT_EQ(compileErrors(c.patterns), c.errors);
  }
}

TEST(RecordFilterCompile, ErrorsAreAppended) {
  std::vector<std::string> errors = {"$.earlier: problem"};
  EXPECT_FALSE(RecordFilter::compile(Json::parse(R"([{"data":{"a":[]}}])"), "$.f", errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "$.earlier: problem");
  EXPECT_TRUE(RecordFilter::compile(Json::parse(R"([{"data":{"a":["1"]}}])"), "$.g", errors));
  EXPECT_EQ(errors.size(), 2u) << "a valid filter compiles even after earlier config errors";
}

}  // namespace
}  // namespace kbridge::runtime
