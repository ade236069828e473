// The Status -> kv::ErrorCode mapping (table in error_code.h) and code names.
#include "flashrig/kvstore/error_code.h"

namespace flashrig::kv {

ErrorCode ToKvErrorCode(Status status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return ErrorCode::kOk;
    case StatusCode::kAlreadyExists:
    case StatusCode::kNotFound:
      return ErrorCode::kNoSupport;
    case StatusCode::kResourceExhausted:
      return ErrorCode::kNoMem;
    case StatusCode::kInvalidArgument:
      return ErrorCode::kInval;
    case StatusCode::kOutOfRange:
      return ErrorCode::kSize;
    case StatusCode::kFailedPrecondition:
      return ErrorCode::kNoDevice;
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnimplemented:
    case StatusCode::kInternal:
    case StatusCode::kUnavailable:
    case StatusCode::kDataLoss:
      return ErrorCode::kFail;
  }
  return ErrorCode::kFail;
}

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "kOk";
    case ErrorCode::kFail:
      return "kFail";
    case ErrorCode::kBusy:
      return "kBusy";
    case ErrorCode::kAlready:
      return "kAlready";
    case ErrorCode::kOff:
      return "kOff";
    case ErrorCode::kReserve:
      return "kReserve";
    case ErrorCode::kInval:
      return "kInval";
    case ErrorCode::kSize:
      return "kSize";
    case ErrorCode::kCancel:
      return "kCancel";
    case ErrorCode::kNoMem:
      return "kNoMem";
    case ErrorCode::kNoSupport:
      return "kNoSupport";
    case ErrorCode::kNoDevice:
      return "kNoDevice";
    case ErrorCode::kUninstalled:
      return "kUninstalled";
    case ErrorCode::kNoAck:
      return "kNoAck";
  }
  return "kUnknownErrorCode";
}

const char* ErrorCodeTockName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kFail:
      return "FAIL";
    case ErrorCode::kBusy:
      return "BUSY";
    case ErrorCode::kAlready:
      return "ALREADY";
    case ErrorCode::kOff:
      return "OFF";
    case ErrorCode::kReserve:
      return "RESERVE";
    case ErrorCode::kInval:
      return "INVAL";
    case ErrorCode::kSize:
      return "SIZE";
    case ErrorCode::kCancel:
      return "CANCEL";
    case ErrorCode::kNoMem:
      return "NOMEM";
    case ErrorCode::kNoSupport:
      return "NOSUPPORT";
    case ErrorCode::kNoDevice:
      return "NODEVICE";
    case ErrorCode::kUninstalled:
      return "UNINSTALLED";
    case ErrorCode::kNoAck:
      return "NOACK";
  }
  return "UNKNOWN";
}

std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << ErrorCodeName(code); }

}  // namespace flashrig::kv
