// kv::ErrorCode: Tock's error vocabulary at the KvSystem boundary, and the one place that
// maps the engine's internal Status codes onto it.
#pragma once

#include <cstdint>
#include <ostream>

#include "flashrig/driver/flash/status.h"

namespace flashrig::kv {

// Tock's numbers (kernel ErrorCode), with 0 = success as in Tock's StatusCode encoding.
enum class [[nodiscard]] ErrorCode : uint8_t{
    kOk = 0,         kFail = 1,      kBusy = 2,         kAlready = 3, kOff = 4,
    kReserve = 5,    kInval = 6,     kSize = 7,         kCancel = 8,  kNoMem = 9,
    kNoSupport = 10, kNoDevice = 11, kUninstalled = 12, kNoAck = 13,
};

// Maps an engine Status to the KvSystem vocabulary. This table is the only mapping:
//
//   Status               ErrorCode    meaning at the KV boundary
//   kOk                  kOk
//   kAlreadyExists       kNoSupport   append: the key already exists (or collides)
//   kNotFound            kNoSupport   get / invalidate: no live object with that key
//   kResourceExhausted   kNoMem       no space even after compaction; index full
//   kInvalidArgument     kInval       reserved key (super key, 0, all-ones), bad region
//   kOutOfRange          kSize        value too large to store, or (get) longer than the
//                                     caller's buffer: prefix copied, full length reported
//   kFailedPrecondition  kNoDevice    no store mounted
//   anything else        kFail        a flash error (kUnavailable = powered off,
//                                     kDataLoss = CRC mismatch on read, kDeadlineExceeded,
//                                     kPermissionDenied, kInternal, kUnimplemented)
//
// kBusy is produced by the split-phase layer itself (an operation is in flight), never
// by the engine; kOff, kAlready, kReserve, kCancel, kUninstalled, kNoAck are not used.
ErrorCode ToKvErrorCode(Status status);

// "kNoSupport"; never null.
const char* ErrorCodeName(ErrorCode code);
// The upper-case Tock name used by the CLI: "NOSUPPORT", "OK", "SIZE"; never null.
const char* ErrorCodeTockName(ErrorCode code);

// So a failed EXPECT_EQ prints "kNoMem", not a byte.
std::ostream& operator<<(std::ostream& os, ErrorCode code);

}  // namespace flashrig::kv
