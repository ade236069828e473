// Result<T>: a value or a non-ok Status. Never throws; value() on an error asserts.
// std::expected is unavailable with clang 14 + libstdc++ 12, so we keep our own.
#pragma once

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>

#include "flashrig/driver/flash/status.h"

namespace flashrig {

template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok(). An ok status without a value becomes kInternal.
  Result(Status status)  // NOLINT(google-explicit-constructor): mirrors StatusOr.
      : status_(status.ok() ? Status::Internal() : status) {}
  Result(const T& value) : value_(value) {}  // NOLINT
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  Status status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T value_or(T fallback) const { return ok() ? *value_ : fallback; }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace flashrig

#define FLASHRIG_TRY_CONCAT_INNER_(a, b) a##b
#define FLASHRIG_TRY_CONCAT_(a, b) FLASHRIG_TRY_CONCAT_INNER_(a, b)

// Evaluates `expr` (a Result<T>); on error returns its status, else assigns the value.
//   FLASHRIG_TRY_ASSIGN(auto id, ReadJedecId());
#define FLASHRIG_TRY_ASSIGN(lhs, expr) \
  FLASHRIG_TRY_ASSIGN_IMPL_(FLASHRIG_TRY_CONCAT_(flashrig_result_, __LINE__), lhs, expr)
#define FLASHRIG_TRY_ASSIGN_IMPL_(result, lhs, expr) \
  auto result = (expr);                              \
  if (!result.ok()) return result.status();          \
  lhs = std::move(result).value()
