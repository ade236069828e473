// The KvSystem contract as one value-parameterised test body (split-phase rules, buffer
// identity, error codes, "callback delivered, system idle afterwards" on every error
// path). Each KvSystem implementation instantiates it:
//   INSTANTIATE_TEST_SUITE_P(TicKv, KvSystemConformance, ::testing::Values(MyBackend()),
//                            KvSystemBackendName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/kv_system.h"

namespace flashrig::kv::testing {

// A KvSystem over a RamFlash the suite can inject faults into.
class KvSystemUnderTest {
 public:
  virtual ~KvSystemUnderTest() = default;
  virtual KvSystem& system() = 0;
  virtual driver::RamFlash& flash() = 0;
};

struct KvSystemBackend {
  std::string name;
  // Builds a system over 32 x 4 KiB RamFlash; `mounted` = false leaves the store
  // unmounted (every operation but GenerateKey must return kNoDevice).
  std::function<std::unique_ptr<KvSystemUnderTest>(bool mounted)> make;
};

inline std::string KvSystemBackendName(const ::testing::TestParamInfo<KvSystemBackend>& info) {
  return info.param.name;
}

class KvSystemConformance : public ::testing::TestWithParam<KvSystemBackend> {};

}  // namespace flashrig::kv::testing
