// TicKvSystem: the KvSystem conformance suite over a TicKvEngine on RamFlash.
#include "flashrig/kvstore/tickv_kv_system.h"

#include "flashrig/kvstore/engine_storage.h"
#include "kvstore/kv_system_conformance.h"

namespace flashrig::kv::testing {
namespace {

class TicKvUnderTest final : public KvSystemUnderTest {
 public:
  explicit TicKvUnderTest(bool mounted)
      : flash_(4096, 32),
        storage_(flash_.geometry(), 512),
        engine_(flash_, storage_.buffers()),
        system_(engine_) {
    if (mounted) {
      EXPECT_EQ(engine_.Mount(), Status::Ok());
    }
  }
  KvSystem& system() override { return system_; }
  driver::RamFlash& flash() override { return flash_; }

 private:
  driver::RamFlash flash_;
  EngineStorage storage_;
  TicKvEngine engine_;
  TicKvSystem system_;
};

INSTANTIATE_TEST_SUITE_P(
    TicKv, KvSystemConformance,
    ::testing::Values(KvSystemBackend{
        "TicKvOnRamFlash", [](bool mounted) { return std::make_unique<TicKvUnderTest>(mounted); }}),
    KvSystemBackendName);

}  // namespace
}  // namespace flashrig::kv::testing
