// The Flash contract as one value-parameterised test body. Each backend (RamFlash,
// SpiNorFlash over the simulated chip, the real chip in the hw binary) instantiates it:
//   INSTANTIATE_TEST_SUITE_P(RamFlash, FlashConformance, ::testing::Values(MyBackend()),
//                            FlashBackendName);
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "flashrig/driver/flash/flash.h"

namespace flashrig::testing {

// A backend under test plus the power switch the suite needs.
class FlashUnderTest {
 public:
  virtual ~FlashUnderTest() = default;
  virtual driver::Flash& flash() = 0;
  virtual void PowerOff() = 0;
  virtual void PowerOn() = 0;
};

struct FlashBackend {
  std::string name;
  std::function<std::unique_ptr<FlashUnderTest>()> make;
};

inline std::string FlashBackendName(const ::testing::TestParamInfo<FlashBackend>& info) {
  return info.param.name;
}

class FlashConformance : public ::testing::TestWithParam<FlashBackend> {
 protected:
  void SetUp() override {
    dut_ = GetParam().make();
    ASSERT_NE(dut_, nullptr);
  }
  driver::Flash& flash() { return dut_->flash(); }
  FlashUnderTest& dut() { return *dut_; }

 private:
  std::unique_ptr<FlashUnderTest> dut_;
};

}  // namespace flashrig::testing
