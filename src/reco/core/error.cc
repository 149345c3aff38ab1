#include "reco/core/error.h"

#include <cstring>

namespace reco {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kVersion: return "version";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kResourceExhausted: return "resource_exhausted";
    case ErrorCode::kCancelled: return "cancelled";
  }
  return "unknown";
}

int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 2;
    case ErrorCode::kNotFound: return 3;
    case ErrorCode::kIo: return 4;
    case ErrorCode::kParse: return 5;
    case ErrorCode::kCorrupt: return 6;
    case ErrorCode::kVersion: return 6;
    case ErrorCode::kUnsupported: return 7;
    case ErrorCode::kResourceExhausted: return 8;
    case ErrorCode::kCancelled: return 130;
    case ErrorCode::kInternal: return 70;
  }
  return 1;
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kUnsupported: return 501;
    case ErrorCode::kResourceExhausted: return 503;
    case ErrorCode::kCancelled: return 499;
    default: return 500;
  }
}

static const char* strip_source_prefix(const char* file) {
  // Keep paths short and stable across checkouts: "src/reco/..." rather than /abs/path/src/reco/...
  if (const char* p = std::strstr(file, "src/reco/")) return p;
  if (const char* p = std::strstr(file, "apps/reco/")) return p;
  return file;
}

Error::Error(ErrorCode code, std::string message, const char* file, int line)
    : std::runtime_error(message), code_(code), message_(std::move(message)),
      file_(strip_source_prefix(file)), line_(line) {}

namespace detail {
ErrorBuilder::~ErrorBuilder() noexcept(false) { throw Error(code_, stream_.str(), file_, line_); }
}  // namespace detail

}  // namespace reco
