// DefaultKvFactory: the TicKV engine (kvstore/) behind the KvUnderTest seam the KV
// campaigns drive. Keys are hashed with Tock's generate_key, as a Tock board would.
#include <string_view>
#include <vector>

#include "flashrig/hil/campaigns/kv_under_test.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/kv_store.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::hil {
namespace {

class TicKvUnderTest final : public KvUnderTest {
 public:
  TicKvUnderTest(driver::Flash& flash, uint32_t max_keys, const KvEngineSettings& settings)
      : storage_(flash.geometry(), max_keys),
        engine_(flash, storage_.buffers(),
                kv::EngineOptions{.wear_record = settings.wear_record,
                                  .refresh_on_mount = settings.refresh_on_mount}),
        store_(engine_) {}

  Status Mount() override { return engine_.Mount(); }
  Status Append(const std::string& key, std::span<const std::byte> value) override {
    return store_.Add(key, value);
  }
  Status Set(const std::string& key, std::span<const std::byte> value) override {
    return store_.Set(key, value);
  }
  Status Get(const std::string& key, std::vector<std::byte>* out) override {
    out->resize(engine_.max_value_bytes());
    size_t length = 0;
    const Status s = store_.Get(kv::KvStore::KeyFor(key), *out, &length);
    out->resize(s.ok() ? length : 0);
    return s;
  }
  Status Invalidate(const std::string& key) override { return store_.Remove(key); }
  Status GarbageCollect() override { return store_.Gc(/*compact=*/false).status(); }

 private:
  kv::EngineStorage storage_;
  kv::TicKvEngine engine_;
  kv::KvStore store_;
};

// Keys the harness's workloads use at most (index RAM: 32 bytes each).
constexpr uint32_t kMaxKeys = 1024;

}  // namespace

KvEngineSettings KvSettingsForRig(const RigConfig& rig) {
  const std::string_view target = rig.target;
  const bool no_weak_cells = target.rfind("ram:", 0) == 0 || target.rfind("image:", 0) == 0;
  return {.refresh_on_mount = rig.kv.refresh_on_mount.value_or(!no_weak_cells),
          .wear_record = rig.kv.wear_record};
}

KvFactory DefaultKvFactory(KvEngineSettings settings) {
  return [settings](driver::Flash& flash) -> std::unique_ptr<KvUnderTest> {
    // TicKV needs at least two regions (one to write, one spare for relocation).
    if (flash.geometry().sector_count() < 2) return nullptr;
    return std::make_unique<TicKvUnderTest>(flash, kMaxKeys, settings);
  };
}

}  // namespace flashrig::hil
