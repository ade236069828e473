// KvSystem conformance: the split-phase contract of kv_system.h, tested through a
// recording client.
#include "kvstore/kv_system_conformance.h"

#include <vector>

#include "testing/bytes.h"

namespace flashrig::kv::testing {
namespace {

using flashrig::testing::FromString;

enum class Op { kGenerateKey, kAppend, kGet, kInvalidate, kGc };

struct Event {
  Op op;
  ErrorCode result;
  const HashedKey* key = nullptr;
  std::byte* data = nullptr;
  size_t size = 0;
  size_t count = 0;  // value_length or bytes_freed.
};

class RecordingClient final : public KvSystemClient {
 public:
  std::vector<Event> events;
  std::function<void()> on_event;  // Runs inside the callback (chaining tests).

  void GenerateKeyComplete(ErrorCode r, std::span<std::byte> unhashed, HashedKey& key) override {
    Add({Op::kGenerateKey, r, &key, unhashed.data(), unhashed.size(), 0});
  }
  void AppendKeyComplete(ErrorCode r, HashedKey& key, std::span<std::byte> value) override {
    Add({Op::kAppend, r, &key, value.data(), value.size(), 0});
  }
  void GetValueComplete(ErrorCode r, HashedKey& key, std::span<std::byte> value,
                        size_t length) override {
    Add({Op::kGet, r, &key, value.data(), value.size(), length});
  }
  void InvalidateKeyComplete(ErrorCode r, HashedKey& key) override {
    Add({Op::kInvalidate, r, &key, nullptr, 0, 0});
  }
  void GarbageCollectComplete(ErrorCode r, size_t freed) override {
    Add({Op::kGc, r, nullptr, nullptr, 0, freed});
  }

 private:
  void Add(const Event& e) {
    events.push_back(e);
    if (on_event) on_event();
  }
};

class Fixture {
 public:
  explicit Fixture(const KvSystemBackend& backend, bool mounted = true)
      : dut_(backend.make(mounted)) {
    kv().SetClient(&client_);
  }
  KvSystem& kv() { return dut_->system(); }
  driver::RamFlash& flash() { return dut_->flash(); }
  RecordingClient& client() { return client_; }

  // Runs one operation to completion and returns its single event.
  Event Complete() {
    const size_t before = client_.events.size();
    EXPECT_EQ(kv().RunUntilIdle(), 1u);
    EXPECT_TRUE(kv().idle());
    EXPECT_EQ(client_.events.size(), before + 1);
    return client_.events.empty() ? Event{} : client_.events.back();
  }
  ErrorCode Append(HashedKey& key, std::vector<std::byte>& value) {
    EXPECT_EQ(kv().AppendKey(key, value), ErrorCode::kOk);
    return Complete().result;
  }

 private:
  std::unique_ptr<KvSystemUnderTest> dut_;
  RecordingClient client_;
};

HashedKey Key(const char* name) { return GenerateKey(name); }

TEST_P(KvSystemConformance, GenerateKey_CompletesFromPollWithSameBuffers) {
  Fixture f(GetParam());
  auto unhashed = FromString("hello");
  HashedKey key{};
  ASSERT_EQ(f.kv().GenerateKey(unhashed, key), ErrorCode::kOk);
  EXPECT_TRUE(f.client().events.empty());  // Never from inside the call.
  const Event e = f.Complete();
  EXPECT_EQ(e.op, Op::kGenerateKey);
  EXPECT_EQ(e.result, ErrorCode::kOk);
  EXPECT_EQ(e.key, &key);
  EXPECT_EQ(e.data, unhashed.data());
  EXPECT_EQ(e.size, unhashed.size());
  EXPECT_EQ(key, Key("hello"));
}

TEST_P(KvSystemConformance, AppendThenGet_HandsBackSameSpansAndKey) {
  Fixture f(GetParam());
  HashedKey key = Key("k");
  auto value = FromString("value-bytes");
  ASSERT_EQ(f.kv().AppendKey(key, value), ErrorCode::kOk);
  EXPECT_TRUE(f.client().events.empty());
  EXPECT_FALSE(f.kv().idle());
  Event e = f.Complete();
  EXPECT_EQ(e.op, Op::kAppend);
  EXPECT_EQ(e.result, ErrorCode::kOk);
  EXPECT_EQ(e.key, &key);
  EXPECT_EQ(e.data, value.data());
  EXPECT_EQ(e.size, value.size());
  std::vector<std::byte> out(64);
  ASSERT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);
  e = f.Complete();
  EXPECT_EQ(e.result, ErrorCode::kOk);
  EXPECT_EQ(e.data, out.data());
  EXPECT_EQ(e.size, out.size());  // The whole buffer, never a subspan.
  EXPECT_EQ(e.count, value.size());
  EXPECT_TRUE(std::equal(value.begin(), value.end(), out.begin()));
}

TEST_P(KvSystemConformance, SecondCallWhileInFlight_ReturnsBusyAndOnlyFirstCompletes) {
  Fixture f(GetParam());
  HashedKey a = Key("a"), b = Key("b");
  auto va = FromString("A"), vb = FromString("B");
  ASSERT_EQ(f.kv().AppendKey(a, va), ErrorCode::kOk);
  EXPECT_EQ(f.kv().AppendKey(b, vb), ErrorCode::kBusy);
  std::vector<std::byte> out(4);
  EXPECT_EQ(f.kv().GetValue(b, out), ErrorCode::kBusy);
  EXPECT_EQ(f.kv().InvalidateKey(b), ErrorCode::kBusy);
  EXPECT_EQ(f.kv().GarbageCollect(), ErrorCode::kBusy);
  HashedKey g{};
  EXPECT_EQ(f.kv().GenerateKey(vb, g), ErrorCode::kBusy);
  const Event e = f.Complete();
  EXPECT_EQ(e.key, &a);
  EXPECT_EQ(f.client().events.size(), 1u);
}

TEST_P(KvSystemConformance, AppendKey_Exists_CallbackNoSupportAndIdle) {
  Fixture f(GetParam());
  HashedKey key = Key("dup");
  auto v = FromString("1");
  ASSERT_EQ(f.Append(key, v), ErrorCode::kOk);
  EXPECT_EQ(f.Append(key, v), ErrorCode::kNoSupport);
  EXPECT_TRUE(f.kv().idle());
}

TEST_P(KvSystemConformance, AppendKey_TooLarge_ReturnsSizeSynchronouslyNoCallback) {
  Fixture f(GetParam());
  HashedKey key = Key("big");
  std::vector<std::byte> v(4080);
  EXPECT_EQ(f.kv().AppendKey(key, v), ErrorCode::kSize);
  EXPECT_TRUE(f.kv().idle());
  EXPECT_EQ(f.kv().RunUntilIdle(), 0u);
  EXPECT_TRUE(f.client().events.empty());
}

TEST_P(KvSystemConformance, AppendKey_SuperKey_ReturnsInval) {
  Fixture f(GetParam());
  HashedKey key = {std::byte{0x7b}, std::byte{0xc9}, std::byte{0xf7}, std::byte{0xff},
                   std::byte{0x4f}, std::byte{0x76}, std::byte{0xf2}, std::byte{0x44}};
  auto v = FromString("x");
  EXPECT_EQ(f.kv().AppendKey(key, v), ErrorCode::kInval);
  EXPECT_EQ(f.kv().InvalidateKey(key), ErrorCode::kInval);
  EXPECT_TRUE(f.kv().idle());
  EXPECT_TRUE(f.client().events.empty());
}

TEST_P(KvSystemConformance, AppendKey_FlashFull_CallbackNoMemKeepsBuffersAndIdle) {
  Fixture f(GetParam());
  std::vector<std::byte> v(4000);
  ErrorCode last = ErrorCode::kOk;
  std::vector<HashedKey> keys(40);
  for (size_t i = 0; i < keys.size() && last == ErrorCode::kOk; ++i) {
    keys[i] = GenerateKey("fill-" + std::to_string(i));
    ASSERT_EQ(f.kv().AppendKey(keys[i], v), ErrorCode::kOk);
    const Event e = f.Complete();
    last = e.result;
    EXPECT_EQ(e.data, v.data());
    EXPECT_EQ(e.key, &keys[i]);
  }
  EXPECT_EQ(last, ErrorCode::kNoMem);
  EXPECT_TRUE(f.kv().idle());
}

TEST_P(KvSystemConformance, GetValue_ShortBuffer_SizeWithPrefixAndFullLength) {
  Fixture f(GetParam());
  HashedKey key = Key("long");
  auto v = FromString("0123456789abcdef");
  ASSERT_EQ(f.Append(key, v), ErrorCode::kOk);
  std::vector<std::byte> out(5);
  ASSERT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);
  const Event e = f.Complete();
  EXPECT_EQ(e.result, ErrorCode::kSize);
  EXPECT_EQ(e.data, out.data());
  EXPECT_EQ(e.size, 5u);
  EXPECT_EQ(e.count, 16u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), v.begin()));
}

TEST_P(KvSystemConformance, GetAndInvalidate_Missing_CallbackNoSupportAndIdle) {
  Fixture f(GetParam());
  HashedKey key = Key("missing");
  std::vector<std::byte> out(4);
  ASSERT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kNoSupport);
  ASSERT_EQ(f.kv().InvalidateKey(key), ErrorCode::kOk);
  const Event e = f.Complete();
  EXPECT_EQ(e.result, ErrorCode::kNoSupport);
  EXPECT_EQ(e.key, &key);
}

TEST_P(KvSystemConformance, InvalidateThenGc_FreesTheRegion) {
  Fixture f(GetParam());
  HashedKey key = Key("gone");
  auto v = FromString("bye");
  ASSERT_EQ(f.Append(key, v), ErrorCode::kOk);
  ASSERT_EQ(f.kv().InvalidateKey(key), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kOk);
  ASSERT_EQ(f.kv().GarbageCollect(), ErrorCode::kOk);
  const Event e = f.Complete();
  EXPECT_EQ(e.result, ErrorCode::kOk);
  EXPECT_EQ(e.count, 4096u);
  std::vector<std::byte> out(4);
  ASSERT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kNoSupport);
}

TEST_P(KvSystemConformance, Unmounted_EveryStoreCallReturnsNoDevice) {
  Fixture f(GetParam(), /*mounted=*/false);
  HashedKey key = Key("k");
  auto v = FromString("v");
  EXPECT_EQ(f.kv().AppendKey(key, v), ErrorCode::kNoDevice);
  EXPECT_EQ(f.kv().GetValue(key, v), ErrorCode::kNoDevice);
  EXPECT_EQ(f.kv().InvalidateKey(key), ErrorCode::kNoDevice);
  EXPECT_EQ(f.kv().GarbageCollect(), ErrorCode::kNoDevice);
  EXPECT_TRUE(f.kv().idle());
  EXPECT_EQ(f.kv().RunUntilIdle(), 0u);
  EXPECT_TRUE(f.client().events.empty());
  HashedKey out{};
  EXPECT_EQ(f.kv().GenerateKey(v, out), ErrorCode::kOk);  // Hashing needs no store.
  EXPECT_EQ(f.Complete().result, ErrorCode::kOk);
}

// TicKV defects 7 and 10: errors from the flash must still deliver the callback and leave
// the system idle, for every operation.
TEST_P(KvSystemConformance, FlashErrors_EveryOperationCallsBackFailAndStaysUsable) {
  Fixture f(GetParam());
  HashedKey key = Key("k");
  auto v = FromString("value");
  ASSERT_EQ(f.Append(key, v), ErrorCode::kOk);
  HashedKey other = Key("other");
  ASSERT_EQ(f.Append(other, v), ErrorCode::kOk);
  ASSERT_EQ(f.kv().InvalidateKey(other), ErrorCode::kOk);
  ASSERT_EQ(f.Complete().result, ErrorCode::kOk);
  f.flash().AddFault(
      {.ops = driver::kAllOps, .status = Status::DataLoss(), .times = driver::FaultRule::kForever});
  HashedKey k2 = Key("k2");
  EXPECT_EQ(f.Append(k2, v), ErrorCode::kFail);
  std::vector<std::byte> out(16);
  ASSERT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kFail);
  ASSERT_EQ(f.kv().InvalidateKey(key), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kFail);
  ASSERT_EQ(f.kv().GarbageCollect(), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kFail);
  EXPECT_TRUE(f.kv().idle());
  f.flash().ClearFaults();
  // Usable again once the flash recovers.
  ASSERT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);
  const Event e = f.Complete();
  EXPECT_EQ(e.result, ErrorCode::kOk);
  EXPECT_EQ(e.count, v.size());
  EXPECT_EQ(f.Append(k2, v), ErrorCode::kOk);
}

TEST_P(KvSystemConformance, PowerCutMidGc_CallbackDeliveredNotBusyForever) {
  Fixture f(GetParam());
  HashedKey key = Key("x");
  std::vector<std::byte> v(3000);
  ASSERT_EQ(f.Append(key, v), ErrorCode::kOk);
  ASSERT_EQ(f.kv().InvalidateKey(key), ErrorCode::kOk);
  ASSERT_EQ(f.Complete().result, ErrorCode::kOk);
  f.flash().SchedulePowerCut({.at_mutating_op = 1, .effect = driver::PowerCutEffect::kTorn});
  ASSERT_EQ(f.kv().GarbageCollect(), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kFail);
  f.flash().PowerOn();
  // The half-erased region is repaired by the next operation's remount.
  ASSERT_EQ(f.kv().GarbageCollect(), ErrorCode::kOk);
  EXPECT_EQ(f.Complete().result, ErrorCode::kOk);
  EXPECT_EQ(f.Append(key, v), ErrorCode::kOk);
}

TEST_P(KvSystemConformance, CallbackMayStartNextOperation) {
  Fixture f(GetParam());
  HashedKey key = Key("chain");
  auto v = FromString("v");
  std::vector<std::byte> out(8);
  bool started = false;
  f.client().on_event = [&] {
    if (!started) {
      started = true;
      EXPECT_EQ(f.kv().GetValue(key, out), ErrorCode::kOk);  // Not busy inside callback.
    }
  };
  ASSERT_EQ(f.kv().AppendKey(key, v), ErrorCode::kOk);
  EXPECT_EQ(f.kv().RunUntilIdle(), 2u);
  ASSERT_EQ(f.client().events.size(), 2u);
  EXPECT_EQ(f.client().events[1].op, Op::kGet);
  EXPECT_EQ(f.client().events[1].result, ErrorCode::kOk);
}

TEST_P(KvSystemConformance, NoClient_OperationStillCompletesAndGoesIdle) {
  Fixture f(GetParam());
  f.kv().SetClient(nullptr);
  HashedKey key = Key("quiet");
  auto v = FromString("v");
  ASSERT_EQ(f.kv().AppendKey(key, v), ErrorCode::kOk);
  EXPECT_EQ(f.kv().RunUntilIdle(), 1u);
  EXPECT_TRUE(f.kv().idle());
  f.kv().SetClient(&f.client());
  EXPECT_EQ(f.Append(key, v), ErrorCode::kNoSupport);  // It was stored.
}

}  // namespace
}  // namespace flashrig::kv::testing
