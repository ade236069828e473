// Status: the small, code-only result type used by driver/, the engine core and hil/.
// No heap, no message string, no exceptions: the "where" of an error goes into traces
// and the harness's error records, not into this type.
#pragma once

#include <cstdint>
#include <ostream>

namespace flashrig {

// Canonical codes, numbered as in absl / Pigweed so logs are unambiguous.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
};

// Name of a code ("kDataLoss"); never null.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr explicit Status(StatusCode code) : code_(code) {}

  static constexpr Status Ok() { return Status(); }
  static constexpr Status InvalidArgument() { return Status(StatusCode::kInvalidArgument); }
  static constexpr Status DeadlineExceeded() { return Status(StatusCode::kDeadlineExceeded); }
  static constexpr Status NotFound() { return Status(StatusCode::kNotFound); }
  static constexpr Status AlreadyExists() { return Status(StatusCode::kAlreadyExists); }
  static constexpr Status PermissionDenied() { return Status(StatusCode::kPermissionDenied); }
  static constexpr Status ResourceExhausted() { return Status(StatusCode::kResourceExhausted); }
  static constexpr Status FailedPrecondition() { return Status(StatusCode::kFailedPrecondition); }
  static constexpr Status OutOfRange() { return Status(StatusCode::kOutOfRange); }
  static constexpr Status Unimplemented() { return Status(StatusCode::kUnimplemented); }
  static constexpr Status Internal() { return Status(StatusCode::kInternal); }
  static constexpr Status Unavailable() { return Status(StatusCode::kUnavailable); }
  static constexpr Status DataLoss() { return Status(StatusCode::kDataLoss); }

  constexpr bool ok() const { return code_ == StatusCode::kOk; }
  constexpr StatusCode code() const { return code_; }
  const char* str() const { return StatusCodeName(code_); }

  // For the rare deliberate drop of a status; makes the intent greppable.
  constexpr void IgnoreError() const {}

  friend constexpr bool operator==(Status a, Status b) { return a.code_ == b.code_; }

 private:
  StatusCode code_ = StatusCode::kOk;
};

// So a failed EXPECT_EQ prints "kDataLoss", not a byte.
std::ostream& operator<<(std::ostream& os, Status status);
std::ostream& operator<<(std::ostream& os, StatusCode code);

}  // namespace flashrig

// Returns early from the enclosing function if `expr` (a Status or Result) is not ok.
#define FLASHRIG_TRY(expr)                                   \
  do {                                                       \
    if (auto flashrig_try_status_ = ::flashrig::internal::AsStatus(expr); \
        !flashrig_try_status_.ok()) {                        \
      return flashrig_try_status_;                           \
    }                                                        \
  } while (0)

namespace flashrig::internal {
constexpr Status AsStatus(Status s) { return s; }
}  // namespace flashrig::internal
