// KvSystem: the C++ form of Tock's KVSystem HIL, split-phase key-value operations with
// Tock's buffer rules, and KvSystemClient, which receives one completion per operation.
//
// The contract (docs/SPLIT_PHASE.md has the full table):
//  - A call that returns kOk gets exactly one *Complete() later, delivered from Poll()
//    (or RunUntilIdle()), never from inside the call that started the operation.
//  - A call that returns anything else gets no completion and keeps no reference to the
//    caller's buffers; they are handed back untouched. kBusy means another operation is
//    in flight and this call did nothing.
//  - Between kOk and the completion the engine borrows the buffers: the caller must not
//    touch, free or reuse them. The completion hands back the same spans (same data()
//    and size()) and the same HashedKey object; byte counts travel separately.
//  - At most one operation is in flight. No error path leaves the system busy.
#pragma once

#include <cstddef>
#include <span>

#include "flashrig/kvstore/error_code.h"
#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv {

class KvSystemClient {
 public:
  virtual ~KvSystemClient() = default;
  // `key` holds the hash on kOk.
  virtual void GenerateKeyComplete(ErrorCode result, std::span<std::byte> unhashed_key,
                                   HashedKey& key) = 0;
  // kOk | kNoSupport: key exists | kNoMem: no space | kFail: flash error.
  virtual void AppendKeyComplete(ErrorCode result, HashedKey& key, std::span<std::byte> value) = 0;
  // kOk: value[0, value_length) holds the value | kSize: value holds the prefix that fit
  // and value_length is the full length | kNoSupport: no such key | kFail.
  virtual void GetValueComplete(ErrorCode result, HashedKey& key, std::span<std::byte> value,
                                size_t value_length) = 0;
  // kOk | kNoSupport: no such key | kFail.
  virtual void InvalidateKeyComplete(ErrorCode result, HashedKey& key) = 0;
  // kOk with the bytes freed | kFail.
  virtual void GarbageCollectComplete(ErrorCode result, size_t bytes_freed) = 0;
};

// Not thread-safe: calls, Poll() and completions all run on one thread (the host event
// loop or the test).
class KvSystem {
 public:
  virtual ~KvSystem() = default;

  // The client must outlive this object or be reset to nullptr first. With no client,
  // completions are still consumed (the operation runs, nobody hears).
  virtual void SetClient(KvSystemClient* client) = 0;

  // Hashes `unhashed_key` (SipHash-2-4, key 0) into `key`.
  //   kOk | kBusy
  virtual ErrorCode GenerateKey(std::span<std::byte> unhashed_key, HashedKey& key) = 0;

  // Stores a new key.
  //   kOk | kBusy | kNoDevice: no store mounted | kSize: value longer than the store's
  //   maximum (4079 bytes on 4 KiB regions) | kInval: reserved key (super key, 0, ~0)
  virtual ErrorCode AppendKey(HashedKey& key, std::span<std::byte> value) = 0;

  // Reads the value of `key` into `value`.
  //   kOk | kBusy | kNoDevice
  virtual ErrorCode GetValue(HashedKey& key, std::span<std::byte> value) = 0;

  // Deletes `key` (one bit cleared on flash).
  //   kOk | kBusy | kNoDevice | kInval: the super key
  virtual ErrorCode InvalidateKey(HashedKey& key) = 0;

  // TicKV garbage collection: erases regions whose objects are all invalid.
  //   kOk | kBusy | kNoDevice
  virtual ErrorCode GarbageCollect() = 0;

  // Runs the operation in flight, if any, and delivers its completion. Returns true if a
  // completion was delivered.
  virtual bool Poll() = 0;
  // True if no operation is in flight.
  virtual bool idle() const = 0;

  // Polls until idle (a completion may start another operation). Returns the number of
  // completions delivered.
  size_t RunUntilIdle() {
    size_t n = 0;
    while (Poll()) ++n;
    return n;
  }
};

}  // namespace flashrig::kv
