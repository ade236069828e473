// TicKvSystem: the split-phase KvSystem over a TicKvEngine. Calls validate and record the
// operation; Poll() runs it on the engine and delivers the completion through Finish().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flashrig/kvstore/kv_system.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv {

class TicKvSystem final : public KvSystem {
 public:
  // The engine is mounted (or not) by the owner; an unmounted engine gives kNoDevice.
  // Keeps a reference to `engine` for its lifetime.
  explicit TicKvSystem(TicKvEngine& engine) : engine_(engine) {}

  void SetClient(KvSystemClient* client) override { client_ = client; }
  ErrorCode GenerateKey(std::span<std::byte> unhashed_key, HashedKey& key) override;
  ErrorCode AppendKey(HashedKey& key, std::span<std::byte> value) override;
  ErrorCode GetValue(HashedKey& key, std::span<std::byte> value) override;
  ErrorCode InvalidateKey(HashedKey& key) override;
  ErrorCode GarbageCollect() override;
  bool Poll() override;
  bool idle() const override { return pending_.op == Op::kNone; }

 private:
  enum class Op : uint8_t { kNone, kGenerateKey, kAppendKey, kGetValue, kInvalidateKey, kGc };
  // The one operation in flight and the caller's buffers it borrows.
  struct PendingOp {
    Op op = Op::kNone;
    HashedKey* key = nullptr;
    std::span<std::byte> buffer;  // Unhashed key or value.
  };

  // Checks shared by every operation; kOk if `op` may start.
  ErrorCode Admit() const;
  ErrorCode Start(Op op, HashedKey* key, std::span<std::byte> buffer);
  // The only exit of an operation: clears the in-flight state, then calls the client.
  void Finish(ErrorCode result, size_t count);

  TicKvEngine& engine_;
  KvSystemClient* client_ = nullptr;
  PendingOp pending_;
};

}  // namespace flashrig::kv
