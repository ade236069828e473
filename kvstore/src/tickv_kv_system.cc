// TicKvSystem: split-phase admission, deferred execution in Poll(), one Finish().
#include "flashrig/kvstore/tickv_kv_system.h"

#include "flashrig/kvstore/object_format.h"

namespace flashrig::kv {

ErrorCode TicKvSystem::Admit() const {
  if (!idle()) return ErrorCode::kBusy;
  if (!engine_.mounted()) return ErrorCode::kNoDevice;
  return ErrorCode::kOk;
}

ErrorCode TicKvSystem::Start(Op op, HashedKey* key, std::span<std::byte> buffer) {
  pending_ = PendingOp{.op = op, .key = key, .buffer = buffer};
  return ErrorCode::kOk;
}

ErrorCode TicKvSystem::GenerateKey(std::span<std::byte> unhashed_key, HashedKey& key) {
  if (!idle()) return ErrorCode::kBusy;  // Hashing needs no store.
  return Start(Op::kGenerateKey, &key, unhashed_key);
}

ErrorCode TicKvSystem::AppendKey(HashedKey& key, std::span<std::byte> value) {
  if (ErrorCode e = Admit(); e != ErrorCode::kOk) return e;
  if (value.size() > engine_.max_value_bytes()) return ErrorCode::kSize;
  if (key == format::kSuperKey) return ErrorCode::kInval;
  return Start(Op::kAppendKey, &key, value);
}

ErrorCode TicKvSystem::GetValue(HashedKey& key, std::span<std::byte> value) {
  if (ErrorCode e = Admit(); e != ErrorCode::kOk) return e;
  return Start(Op::kGetValue, &key, value);
}

ErrorCode TicKvSystem::InvalidateKey(HashedKey& key) {
  if (ErrorCode e = Admit(); e != ErrorCode::kOk) return e;
  if (key == format::kSuperKey) return ErrorCode::kInval;
  return Start(Op::kInvalidateKey, &key, {});
}

ErrorCode TicKvSystem::GarbageCollect() {
  if (ErrorCode e = Admit(); e != ErrorCode::kOk) return e;
  return Start(Op::kGc, nullptr, {});
}

bool TicKvSystem::Poll() {
  switch (pending_.op) {
    case Op::kNone:
      return false;
    case Op::kGenerateKey:
      *pending_.key = kv::GenerateKey(std::span<const std::byte>(pending_.buffer));
      Finish(ErrorCode::kOk, 0);
      return true;
    case Op::kAppendKey:
      Finish(ToKvErrorCode(engine_.Append(*pending_.key, pending_.buffer)), 0);
      return true;
    case Op::kGetValue: {
      size_t length = 0;
      const Status s = engine_.Get(*pending_.key, pending_.buffer, &length);
      Finish(ToKvErrorCode(s), length);
      return true;
    }
    case Op::kInvalidateKey:
      Finish(ToKvErrorCode(engine_.Invalidate(*pending_.key)), 0);
      return true;
    case Op::kGc: {
      const Result<size_t> freed = engine_.GarbageCollect();
      Finish(ToKvErrorCode(freed.status()), freed.value_or(0));
      return true;
    }
  }
  return false;
}

void TicKvSystem::Finish(ErrorCode result, size_t count) {
  // Clear first: the client may start the next operation from inside its callback.
  const PendingOp done = pending_;
  pending_ = PendingOp{};
  if (client_ == nullptr) return;
  switch (done.op) {
    case Op::kNone:
      break;
    case Op::kGenerateKey:
      client_->GenerateKeyComplete(result, done.buffer, *done.key);
      break;
    case Op::kAppendKey:
      client_->AppendKeyComplete(result, *done.key, done.buffer);
      break;
    case Op::kGetValue:
      client_->GetValueComplete(result, *done.key, done.buffer, count);
      break;
    case Op::kInvalidateKey:
      client_->InvalidateKeyComplete(result, *done.key);
      break;
    case Op::kGc:
      client_->GarbageCollectComplete(result, count);
      break;
  }
}

}  // namespace flashrig::kv
