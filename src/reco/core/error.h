// reco::Error — the one error type of the library.
//
// Everything inside the library reports failure by throwing reco::Error (or letting a
// std exception escape from a dependency, which edges wrap). Edges convert:
//   CLI main  -> one line "reco: error[<code>]: <message>" on stderr + exit code (exit_code()).
//   HTTP      -> JSON {"error": {"code": ..., "message": ...}} + status (http_status()).
// Use the macros, not the constructor, so file:line of the throw site is recorded:
//   RECO_CHECK(n > 0) << "rows must be positive, got " << n;
//   RECO_CHECK_EQ(a, b) << "context";
//   RECO_THROW(ErrorCode::kParse) << path << ":" << line << ": expected a number";
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace reco {

enum class ErrorCode : int {
  kInternal = 1,       ///< a broken invariant: a bug in reco
  kInvalidArgument,    ///< bad option, config value or API argument
  kNotFound,           ///< missing file, column, id
  kIo,                 ///< read/write/rename/mmap failure
  kParse,              ///< malformed input text (CSV/TSV/TOML/JSON row)
  kCorrupt,            ///< binary artifact fails magic/checksum/size checks
  kVersion,            ///< binary artifact written by a newer format version
  kUnsupported,        ///< a feature or combination not implemented
  kResourceExhausted,  ///< out of memory, too many ids, overload
  kCancelled,          ///< stopped by a signal or a user request
};

/// Short stable name of a code ("parse", "corrupt", ...), used in messages and JSON.
std::string_view error_code_name(ErrorCode code);
/// Process exit code for the CLI edge (2 for usage-like errors, 3+ for data/IO).
int exit_code(ErrorCode code);
/// HTTP status for the serving edge.
int http_status(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, const char* file = "", int line = 0);
  ErrorCode code() const noexcept { return code_; }
  /// The message alone, without code or source location.
  const std::string& message() const noexcept { return message_; }
  /// Source location of the throw site in reco's code ("src/reco/data/csv.cc:120").
  const char* source_file() const noexcept { return file_; }
  int source_line() const noexcept { return line_; }

 private:
  ErrorCode code_;
  std::string message_;
  const char* file_;
  int line_;
};

namespace detail {
// Collects a message with operator<< and throws from its destructor. The destructor is
// noexcept(false): this object only ever lives as a temporary inside RECO_THROW/RECO_CHECK.
class ErrorBuilder {
 public:
  ErrorBuilder(ErrorCode code, const char* file, int line) : code_(code), file_(file), line_(line) {}
  ErrorBuilder(const ErrorBuilder&) = delete;
  ErrorBuilder& operator=(const ErrorBuilder&) = delete;
  [[noreturn]] ~ErrorBuilder() noexcept(false);
  template <typename T>
  ErrorBuilder& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  ErrorCode code_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};
// Lets `RECO_CHECK(x) << msg` parse as one expression with void type.
struct Voidify {
  void operator&(ErrorBuilder&) {}
};
}  // namespace detail

}  // namespace reco

#define RECO_THROW(code) ::reco::detail::ErrorBuilder((code), __FILE__, __LINE__)

#define RECO_CHECK_CODE(cond, code)                              \
  (cond) ? (void)0                                               \
         : ::reco::detail::Voidify() &                           \
               ::reco::detail::ErrorBuilder((code), __FILE__, __LINE__) << "check failed: " #cond ": "

#define RECO_CHECK(cond) RECO_CHECK_CODE(cond, ::reco::ErrorCode::kInvalidArgument)
// Like RECO_CHECK, but the message is only what follows (no "check failed: <cond>"): for
// validation whose message goes to an API client, who never saw the condition's code.
#define RECO_REQUIRE(cond)                                     \
  (cond) ? (void)0                                             \
         : ::reco::detail::Voidify() &                         \
               ::reco::detail::ErrorBuilder(::reco::ErrorCode::kInvalidArgument, __FILE__, __LINE__)
#define RECO_ASSERT(cond) RECO_CHECK_CODE(cond, ::reco::ErrorCode::kInternal)

#define RECO_CHECK_OP_(a, b, op)                                                          \
  ((a)op(b)) ? (void)0                                                                    \
             : ::reco::detail::Voidify() &                                                \
                   ::reco::detail::ErrorBuilder(::reco::ErrorCode::kInvalidArgument, __FILE__, \
                                                __LINE__)                                 \
                       << "check failed: " #a " " #op " " #b " (" << (a) << " vs " << (b) << "): "
#define RECO_CHECK_EQ(a, b) RECO_CHECK_OP_(a, b, ==)
#define RECO_CHECK_NE(a, b) RECO_CHECK_OP_(a, b, !=)
#define RECO_CHECK_LT(a, b) RECO_CHECK_OP_(a, b, <)
#define RECO_CHECK_LE(a, b) RECO_CHECK_OP_(a, b, <=)
#define RECO_CHECK_GT(a, b) RECO_CHECK_OP_(a, b, >)
#define RECO_CHECK_GE(a, b) RECO_CHECK_OP_(a, b, >=)
