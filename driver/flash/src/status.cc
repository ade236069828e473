// Names and stream output for Status codes.
#include "flashrig/driver/flash/status.h"

namespace flashrig {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "kOk";
    case StatusCode::kInvalidArgument: return "kInvalidArgument";
    case StatusCode::kDeadlineExceeded: return "kDeadlineExceeded";
    case StatusCode::kNotFound: return "kNotFound";
    case StatusCode::kAlreadyExists: return "kAlreadyExists";
    case StatusCode::kPermissionDenied: return "kPermissionDenied";
    case StatusCode::kResourceExhausted: return "kResourceExhausted";
    case StatusCode::kFailedPrecondition: return "kFailedPrecondition";
    case StatusCode::kOutOfRange: return "kOutOfRange";
    case StatusCode::kUnimplemented: return "kUnimplemented";
    case StatusCode::kInternal: return "kInternal";
    case StatusCode::kUnavailable: return "kUnavailable";
    case StatusCode::kDataLoss: return "kDataLoss";
  }
  return "kUnknownStatusCode";
}

std::ostream& operator<<(std::ostream& os, StatusCode code) { return os << StatusCodeName(code); }
std::ostream& operator<<(std::ostream& os, Status status) { return os << status.str(); }

}  // namespace flashrig
