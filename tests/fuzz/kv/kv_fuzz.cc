// libFuzzer target for the KV engine, structure-aware: the input lays out a flash image of
// real TicKV objects (valid checksums, then torn, corrupted, half-erased: kv_fuzz_image.h),
// optionally cuts power during the first mount, then runs engine operations with power
// cuts and flash errors injected mid-operation (kv_fuzz_input.h has the language). It
// checks what the engine promises, through its public API (TicKvEngine, KvStore,
// TicKvSystem): a fresh mount of any image succeeds or declines cleanly; every
// acknowledged write reads back, also after remounts; an interrupted operation leaves its
// key old or new, never anything else; a cut during mount loses nothing a clean mount
// would keep; nothing crashes, hangs or trips a sanitizer.
//   build-fuzz/tests/fuzz/kv_fuzz -max_total_time=60 (or scripts/run_fuzzers.sh build-fuzz)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/error_code.h"
#include "flashrig/kvstore/kv_store.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/tickv_kv_system.h"
#include "kv_fuzz_image.h"
#include "kv_fuzz_input.h"

namespace {

using flashrig::Status;
using flashrig::driver::PowerCutEffect;
using flashrig::kv::ErrorCode;
using flashrig::kv::HashedKey;
using Value = std::vector<std::byte>;
using State = std::optional<Value>;  // A key's value, or nullopt if it is not live.
using kv_fuzz::InputReader;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Every status also goes through the KvSystem mapping and its names.
Status Seen(Status s) {
  const ErrorCode code = flashrig::kv::ToKvErrorCode(s);
  Check(flashrig::kv::ErrorCodeName(code) != nullptr);
  Check(flashrig::kv::ErrorCodeTockName(code) != nullptr);
  return s;
}

Value MakeValue(uint8_t id, size_t length, uint8_t salt) {
  Value v(length);
  for (size_t i = 0; i < length; ++i) v[i] = static_cast<std::byte>(id * 31 + salt + i);
  return v;
}

struct Session {
  explicit Session(flashrig::driver::RamFlash& f)
      : storage(f.geometry(), flashrig::kv::MaxObjectsFor(f.geometry())),
        engine(f, storage.buffers()),
        store(engine) {}
  flashrig::kv::EngineStorage storage;
  flashrig::kv::TicKvEngine engine;
  flashrig::kv::KvStore store;
};

// The current value of user key `id`. Reads must work on a powered flash with no faults.
State Read(Session& s, uint8_t id) {
  Value out(flashrig::kv::format::kMaxValueBytes);
  size_t n = 0;
  const Status st = Seen(s.engine.Get(kv_fuzz::UserKey(id), out, &n));
  if (st == Status::NotFound()) return std::nullopt;
  Check(st.ok());
  out.resize(n);
  return out;
}

// Split-phase completions, recorded for the op that waits on them.
class Client final : public flashrig::kv::KvSystemClient {
 public:
  void GenerateKeyComplete(ErrorCode r, std::span<std::byte>, HashedKey&) override { Got(r, 0); }
  void AppendKeyComplete(ErrorCode r, HashedKey&, std::span<std::byte>) override { Got(r, 0); }
  void GetValueComplete(ErrorCode r, HashedKey&, std::span<std::byte>, size_t n) override {
    Got(r, n);
  }
  void InvalidateKeyComplete(ErrorCode r, HashedKey&) override { Got(r, 0); }
  void GarbageCollectComplete(ErrorCode r, size_t) override { Got(r, 0); }
  int completions = 0;
  ErrorCode result = ErrorCode::kFail;
  size_t length = 0;

 private:
  void Got(ErrorCode r, size_t n) {
    ++completions;
    result = r;
    length = n;
  }
};

class Fuzzer {
 public:
  explicit Fuzzer(kv_fuzz::Geometry g) : flash_(g.region_bytes, g.regions) {}

  // Loads the image and mounts it; bit 7 of `cut_spec` (the input's first byte) cuts
  // power during that mount first. False if the engine declines the image.
  bool Mount(const std::vector<std::byte>& image, uint8_t cut_spec);
  void Run(InputReader& in);
  void CheckAll();

 private:
  enum class Kind : uint8_t { kAppend, kSet, kUpdate, kInvalidate, kGc, kCompact };
  void Mutate(Kind kind, uint8_t id, size_t length, uint8_t salt);
  void Recover();
  void KvSystemOp(uint8_t which, uint8_t id, size_t length);
  void Remount() {
    session_ = std::make_unique<Session>(flash_);
    Check(Seen(session_->engine.Mount()).ok());
  }
  // Model: what this run wrote (keys it never touched are not in it).
  void Expect(uint8_t id, State state) { model_[id] = std::move(state); }

  flashrig::driver::RamFlash flash_;
  std::unique_ptr<Session> session_;
  std::map<uint8_t, State> model_;
  std::optional<flashrig::driver::PowerCutPlan> cut_;
  std::optional<flashrig::driver::FaultRule> fault_;
};

bool Fuzzer::Mount(const std::vector<std::byte>& image, uint8_t cut_spec) {
  Check(flash_.Restore(image).ok());
  // What a clean mount of this image keeps, on a copy.
  flashrig::driver::RamFlash reference(flash_.geometry().erase_size_bytes,
                                       flash_.geometry().sector_count());
  Check(reference.Restore(image).ok());
  Session clean(reference);
  if (!Seen(clean.engine.Mount()).ok()) return false;
  if (cut_spec & 0x80) {  // Bits 2..4: which mutation of the mount; 5..6: the effect.
    flash_.SchedulePowerCut({.at_mutating_op = ((cut_spec >> 2) & 7) + 1u,
                             .effect = static_cast<PowerCutEffect>(((cut_spec >> 5) & 3) % 3),
                             .seed = cut_spec});
    session_ = std::make_unique<Session>(flash_);
    Seen(session_->engine.Mount()).IgnoreError();
    flash_.CancelPowerCut();
    flash_.PowerOn();
  }
  Remount();
  for (uint8_t id = 0; id < kv_fuzz::kUserKeys; ++id) {
    Check(Read(*session_, id) == Read(clean, id));
  }
  return true;
}

// Power back on after a cut and mount from the flash alone.
void Fuzzer::Recover() {
  flash_.CancelPowerCut();
  flash_.ClearFaults();
  if (!flash_.powered()) {
    flash_.PowerOn();
    Remount();
  }
}

void Fuzzer::Mutate(Kind kind, uint8_t id, size_t length, uint8_t salt) {
  const bool keyed = kind != Kind::kGc && kind != Kind::kCompact;
  const State before = keyed ? Read(*session_, id) : State{};
  const Value value = MakeValue(id, length, salt);
  if (cut_) flash_.SchedulePowerCut(*cut_);
  if (fault_) flash_.AddFault(*fault_);
  const uint64_t cuts = flash_.power_cuts();
  const HashedKey key = kv_fuzz::UserKey(id);
  flashrig::kv::KvStore& store = session_->store;
  Status s;
  switch (kind) {
    case Kind::kAppend:
      s = store.Add(key, value);
      break;
    case Kind::kSet:
      s = store.Set(key, value);
      break;
    case Kind::kUpdate:
      s = store.Update(key, value);
      if (!fault_ && !cut_) Check(before.has_value() || s == Status::NotFound());
      break;
    case Kind::kInvalidate:
      s = store.Remove(key);
      break;
    case Kind::kGc:
    case Kind::kCompact:
      s = store.Gc(kind == Kind::kCompact).status();
      break;
  }
  Seen(s).IgnoreError();
  const bool interrupted = flash_.power_cuts() != cuts || (fault_ && flash_.faults().fired(0) > 0);
  cut_.reset();
  fault_.reset();
  Recover();
  if (!keyed) return;
  const State after = kind == Kind::kInvalidate ? State{} : State{value};
  const State now = Read(*session_, id);
  if (s.ok()) {
    Check(now == after);
  } else if (interrupted) {
    Check(now == before || now == after);  // Old or new, never anything else.
  } else {
    Check(now == before);  // A refused operation changes nothing.
  }
  Expect(id, now);
}

// The same operations through the split-phase KvSystem: one completion per accepted call,
// delivered from Poll(), kBusy while one is in flight, results that match the model.
void Fuzzer::KvSystemOp(uint8_t which, uint8_t id, size_t length) {
  flashrig::kv::TicKvSystem kv(session_->engine);
  Client client;
  kv.SetClient(&client);
  HashedKey key = kv_fuzz::UserKey(id);
  Value buffer = MakeValue(id, length, 0x5C);
  const State before = Read(*session_, id);
  std::string name = "fuzz-" + std::to_string(id);
  std::vector<std::byte> unhashed(name.size());
  std::transform(name.begin(), name.end(), unhashed.begin(), [](char c) { return std::byte(c); });
  ErrorCode accepted = ErrorCode::kFail;
  switch (which % 5) {
    case 0:
      accepted = kv.GenerateKey(unhashed, key);
      break;
    case 1:
      accepted = kv.AppendKey(key, buffer);
      break;
    case 2:
      accepted = kv.GetValue(key, buffer);
      break;
    case 3:
      accepted = kv.InvalidateKey(key);
      break;
    default:
      accepted = kv.GarbageCollect();
      break;
  }
  if (accepted != ErrorCode::kOk) {
    // Refused up front: only a value too large to store.
    Check(which % 5 == 1 && accepted == ErrorCode::kSize &&
          length > session_->engine.max_value_bytes());
    Check(kv.idle() && !kv.Poll());
    return;
  }
  Check(kv.GarbageCollect() == ErrorCode::kBusy && client.completions == 0);
  Check(kv.RunUntilIdle() == 1 && client.completions == 1 && kv.idle());
  const State now = Read(*session_, id);
  switch (which % 5) {
    case 0:
      Check(key == flashrig::kv::GenerateKey(name));
      break;
    case 1:
      Check(client.result == ErrorCode::kOk ? now == State{MakeValue(id, length, 0x5C)}
                                            : now == before);
      break;
    case 2:
      Check(before
                ? client.length == before->size() &&
                      (client.result == ErrorCode::kOk) == (before->size() <= length) &&
                      std::equal(buffer.begin(), buffer.begin() + std::min(length, before->size()),
                                 before->begin())
                : client.result == ErrorCode::kNoSupport);
      break;
    case 3:
      Check(client.result == (before ? ErrorCode::kOk : ErrorCode::kNoSupport) && !now);
      break;
    default:
      Check(client.result == ErrorCode::kOk && now == before);
      break;
  }
  Expect(id, now);
}

// Every key the model knows reads as recorded; the listing agrees with the model.
void Fuzzer::CheckAll() {
  std::vector<HashedKey> listed(flashrig::kv::MaxObjectsFor(flash_.geometry()));
  const size_t n = session_->store.ListByHash(listed);
  Check(n <= listed.size() && n < session_->engine.stats().live_keys + 1);
  listed.resize(n);
  for (const auto& [id, want] : model_) {
    Check(Read(*session_, id) == want);
    const bool in_list = std::binary_search(listed.begin(), listed.end(), kv_fuzz::UserKey(id));
    Check(in_list == want.has_value());
  }
}

void Fuzzer::Run(InputReader& in) {
  while (!in.done()) {
    const uint8_t tag = in.Byte() % kv_fuzz::kOpTags;
    const uint8_t id = in.Byte() % kv_fuzz::kUserKeys;
    const uint8_t arg = in.Byte();
    switch (tag) {
      case kv_fuzz::kAppend:
        Mutate(Kind::kAppend, id, arg * 3u, in.Byte());
        break;
      case kv_fuzz::kSet:
        Mutate(Kind::kSet, id, arg * 3u, in.Byte());
        break;
      case kv_fuzz::kUpdate:
        Mutate(Kind::kUpdate, id, arg, in.Byte());
        break;
      case kv_fuzz::kInvalidate:
        Mutate(Kind::kInvalidate, id, 0, 0);
        break;
      case kv_fuzz::kGc:
        Mutate(arg & 1 ? Kind::kCompact : Kind::kGc, id, 0, 0);
        CheckAll();
        break;
      case kv_fuzz::kGet:
        if (auto it = model_.find(id); it != model_.end()) Check(Read(*session_, id) == it->second);
        break;
      case kv_fuzz::kRemount:
        Remount();
        CheckAll();
        break;
      case kv_fuzz::kPowerCut:
        cut_ = flashrig::driver::PowerCutPlan{.at_mutating_op = arg % 6 + 1u,
                                              .effect = static_cast<PowerCutEffect>(id % 3),
                                              .seed = in.Byte()};
        break;
      case kv_fuzz::kFlashError:
        fault_ = flashrig::driver::FaultRule{
            .ops = static_cast<flashrig::driver::FlashOpMask>(arg & 1 ? 2 : (arg & 2 ? 4 : 6)),
            .status = arg & 4 ? Status::DataLoss() : Status::Unavailable(),
            .skip = static_cast<uint32_t>(arg >> 3)};
        break;
      case kv_fuzz::kKvSystem:
        KvSystemOp(arg, id, in.Byte() * 2u);
        break;
      default:
        CheckAll();
        break;
    }
  }
  CheckAll();
  Remount();
  CheckAll();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  const uint8_t spec = in.Byte();
  const kv_fuzz::Geometry g = kv_fuzz::kGeometries[spec % kv_fuzz::kGeometries.size()];
  kv_fuzz::ImageBuilder builder(g);
  builder.Run(in);
  Fuzzer fuzzer(g);
  if (!fuzzer.Mount(builder.image(), spec)) return 0;
  fuzzer.CheckAll();
  fuzzer.Run(in);
  return 0;
}
