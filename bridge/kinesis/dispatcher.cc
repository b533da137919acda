#include "kinesis/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>

#include "auth/authenticator.h"
#include "kinesis/model.h"
#include "ops/api_metrics.h"

namespace kbridge::kinesis {
namespace {

constexpr std::string_view kServicePrefix = "Kinesis_20131202";

std::string requestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

http::Response encoded(int status, const Json& body, WireFormat format) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(contentTypeOf(format)));
  r.headers.emplace_back("x-amzn-RequestId", requestId());
  if (!body.is_null()) r.body = encodeBody(body, format);
  return r;
}

// Plain application/json is Coral's deprecated envelope protocol: Kinesis parses the body, then
// answers that it knows no such operation.
http::Response deprecatedJsonError(const std::string& body) {
  const bool parses = Json::accept(body);
  http::Response r;
  r.status = parses ? 404 : 400;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("x-amzn-RequestId", requestId());
  r.body = Json{
      {"Output",
       {{"__type", parses ? "com.amazon.coral.service#UnknownOperationException"
                          : "com.amazon.coral.service#SerializationException"}}},
      {"Version",
       "1.0"}}.dump();
  return r;
}

// AWS answers requests it cannot attribute to an operation with a small XML document.
http::Response xmlError(int status, std::string_view type, std::string_view message) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("x-amzn-RequestId", requestId());
  if (message.empty()) {
    r.body = "<" + std::string(type) + "/>\n";
  } else {
    r.body = "<" + std::string(type) + ">\n  <Message>" + std::string(message) + "</Message>\n</" +
             std::string(type) + ">\n";
  }
  return r;
}

bool mimeTypeIs(std::string_view contentType, std::string_view mime) {
  auto semicolon = contentType.find(';');
  auto value = contentType.substr(0, semicolon);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value.size() == mime.size() &&
         std::equal(value.begin(), value.end(), mime.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

ErrorType errorTypeOf(auth::AuthErrorKind kind) {
  switch (kind) {
    case auth::AuthErrorKind::kMissingAuthenticationToken:
      return ErrorType::kMissingAuthenticationToken;
    case auth::AuthErrorKind::kIncompleteSignature:
      return ErrorType::kIncompleteSignature;
    case auth::AuthErrorKind::kInvalidSignature:
      return ErrorType::kInvalidSignature;
    case auth::AuthErrorKind::kUnrecognizedClient:
      return ErrorType::kUnrecognizedClient;
    case auth::AuthErrorKind::kAccessDenied:
      return ErrorType::kAccessDenied;
  }
  return ErrorType::kAccessDenied;
}

// A request that carries no signature at all (neither header nor presigned query).
bool isUnsigned(const http::Request& request) {
  return request.header("Authorization").empty() &&
         request.target.find("X-Amz-Algorithm") == std::string::npos;
}

}  // namespace

http::Response errorResponse(const ApiError& error, WireFormat format) {
  Json body{{"__type", errorTypeName(error.type)}};
  // Coral spells the member "Message" for serialization errors and "message" for all others.
  if (!error.message.empty()) {
    body[error.type == ErrorType::kSerialization ? "Message" : "message"] = error.message;
  }
  auto r = encoded(httpStatus(error.type), body, format);
  r.headers.emplace_back("x-amzn-ErrorType", std::string(errorTypeName(error.type)));
  return r;
}

namespace {

// In the JSON and CBOR protocols AWS answers every authentication and authorization failure with
// 400 (kinesalite's test/connection.js records it); errors.cc's 403 is the status of the XML form.
http::Response authErrorResponse(const auth::AuthError& error, WireFormat format) {
  auto r = errorResponse({errorTypeOf(error.kind), error.message}, format);
  r.status = 400;
  return r;
}

}  // namespace

void Dispatcher::handle(http::Request request, http::Respond respond) {
  const auto target = request.header("X-Amz-Target");
  const auto dot = target.find('.');
  const auto service = target.substr(0, dot);
  const auto operation =
      dot == std::string_view::npos ? std::string_view{} : target.substr(dot + 1);
  const ActionEntry* action = service == kServicePrefix ? findAction(operation) : nullptr;
  if (services_.metrics) {
    // Every answer below, error or not, passes through here: one place counts and times them all.
    respond = services_.metrics->instrument(action ? action->name : std::string_view("unknown"),
                                            std::chrono::steady_clock::now(), std::move(respond));
  }
  if (request.method != "POST") {
    if (auth_ && isUnsigned(request)) {
      return respond(
          xmlError(403, "MissingAuthenticationTokenException", "Missing Authentication Token"));
    }
    return respond(xmlError(403, "AccessDeniedException",
                            "Unable to determine service/operation name to be authorized"));
  }
  const auto contentType = request.header("Content-Type");
  const auto format = wireFormatFor(contentType);

  if (request.body.empty()) {
    // Kinesis answers in JSON only when the request said JSON 1.1; otherwise in CBOR.
    auto f = format.value_or(WireFormat::kCbor);
    return respond(
        errorResponse({action ? ErrorType::kSerialization : ErrorType::kUnknownOperation, ""}, f));
  }
  if (!format) {
    if (mimeTypeIs(contentType, "application/json")) {
      return respond(deprecatedJsonError(request.body));
    }
    if (auth_ && isUnsigned(request)) {
      return respond(
          xmlError(403, "MissingAuthenticationTokenException", "Missing Authentication Token"));
    }
    if (service.empty() || operation.empty()) {
      return respond(xmlError(403, "AccessDeniedException",
                              "Unable to determine service/operation name to be authorized"));
    }
    return respond(xmlError(404, "UnknownOperationException", ""));
  }
  if (!action || !action->run) {
    auto decoded = decodeBody(request.body, *format);
    if (!decoded) return respond(errorResponse(decoded.error(), *format));
    if (!action) return respond(errorResponse({ErrorType::kUnknownOperation, ""}, *format));
    return respond(errorResponse({ErrorType::kUnknownOperation,
                                  "kbridge does not implement " + std::string(operation) + " yet."},
                                 *format));
  }

  // Authentication and authorization: after the body is known to decode (AWS reports an unreadable
  // body first), before the input is validated or anything runs. A principal whose policy
  // depends on the stream needs the decoded body, which the generic path below then reuses.
  std::optional<Json> decodedForAuth;
  if (auth_) {
    auto principal = auth_->authenticate(request);
    if (!principal || !auth_->decidesWithoutInput(**principal)) {
      auto decoded = decodeBody(request.body, *format);
      if (!decoded) return respond(errorResponse(decoded.error(), *format));
      decodedForAuth = std::move(*decoded);
    }
    if (!principal) return respond(authErrorResponse(principal.error(), *format));
    auto allowed =
        auth_->authorize(**principal, action->name, decodedForAuth ? *decodedForAuth : Json());
    if (!allowed) return respond(authErrorResponse(allowed.error(), *format));
  }

  ActionCall call;
  call.format = *format;
  call.services = &services_;
  const auto fmt = *format;
  call.replyEncoded = [respond, fmt](std::string body) {
    http::Response r = encoded(200, Json(), fmt);
    r.body = std::move(body);
    respond(std::move(r));
  };
  call.reply = [respond = std::move(respond), fmt, name = action->name](ApiResult<Json> result) {
    if (!result) {
      if (httpStatus(result.error().type) >= 500) {
        spdlog::warn("{} failed: {} {}", name, errorTypeName(result.error().type),
                     result.error().message);
      }
      return respond(errorResponse(result.error(), fmt));
    }
    respond(encoded(200, *result, fmt));
  };
  // The hot paths read their common JSON form directly; everything else (errors included) takes
  // the generic path below.
  if (fmt == WireFormat::kJson && action->fastJson && !decodedForAuth &&
      action->fastJson(request.body, call)) {
    return;
  }

  auto decoded =
      decodedForAuth ? ApiResult<Json>(std::move(*decodedForAuth)) : decodeBody(request.body, fmt);
  if (!decoded) return call.reply(fail(decoded.error()));
  const Shape* shape = inputShapeFor(action->name);
  auto input = shape ? validateInput(*decoded, *shape, fmt) : ApiResult<Json>(std::move(*decoded));
  if (!input) return call.reply(fail(input.error()));
  call.input = std::move(*input);
  action->run(std::move(call));
}

void runOnControl(ActionCall call, ApiResult<Json> (*work)(const Json&, WireFormat, Services&)) {
  Services* services = call.services;
  services->control->post([call = std::move(call), work]() mutable {
    call.reply(work(call.input, call.format, *call.services));
  });
}

}  // namespace kbridge::kinesis
