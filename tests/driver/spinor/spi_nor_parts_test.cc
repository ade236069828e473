// Every shipped part (configs/parts/*.json) behind SpiNorFlash on the simulated chip:
// the Flash conformance suite, probe identity (SFDP and database agree with the JSON),
// and torn state after power loss and reset during operations.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/config/part_config.h"
#include "testing/bytes.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Filled;

const std::vector<std::string> kShippedParts = {"w25q16jv", "w25q128jv", "mx25l25645g",
                                                "gd25q64c", "mt25ql256", "is25lp128"};

const ChipModel& Part(const std::string& name) {
  static std::map<std::string, ChipModel> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    hil::ConfigErrors errors;
    const std::string path = hil::DefaultPartsDirectory() + "/" + name + ".json";
    auto model = hil::LoadPartFile(path, &errors);
    if (!model) {
      ADD_FAILURE() << hil::FormatConfigErrors(errors);
      model = ChipModel{};
    }
    it = cache.emplace(name, *model).first;
  }
  return it->second;
}

const PartDatabase& Database() {
  static PartDatabase db = [] {
    PartDatabase d;
    for (const auto& name : kShippedParts) d.Add(Part(name));
    return d;
  }();
  return db;
}

// One shipped part on the simulator behind the driver.
struct Rig {
  explicit Rig(const std::string& name, SpiNorOptions options = {},
               SimulatedChipOptions chip_options = {})
      : chip(Part(name), clock, chip_options), bus(chip) {
    auto f = SpiNorFlash::Probe(bus, clock, &Database(), options, &info);
    EXPECT_TRUE(f.ok()) << name << ": " << f.status();
    if (f.ok()) flash = std::move(*f);
  }
  VirtualClock clock;
  SimulatedSpiNorChip chip;
  SpiDeviceBus bus;
  ProbeInfo info;
  std::unique_ptr<SpiNorFlash> flash;
};

class PartUnderTest final : public flashrig::testing::FlashUnderTest {
 public:
  explicit PartUnderTest(const std::string& name) : rig_(name) {}
  Flash& flash() override { return *rig_.flash; }
  void PowerOff() override { rig_.chip.PowerOff(); }
  void PowerOn() override { rig_.chip.PowerOn(); }

 private:
  Rig rig_;
};

std::vector<flashrig::testing::FlashBackend> PartBackends() {
  std::vector<flashrig::testing::FlashBackend> out;
  for (const auto& name : kShippedParts) {
    out.push_back({name, [name] { return std::make_unique<PartUnderTest>(name); }});
  }
  return out;
}

using flashrig::testing::FlashConformance;
INSTANTIATE_TEST_SUITE_P(ShippedParts, FlashConformance, ::testing::ValuesIn(PartBackends()),
                         flashrig::testing::FlashBackendName);

class ShippedPartTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedPartTest, ProbeFindsTheJsonPartViaSfdpAndViaTheDatabase) {
  const ChipModel& m = Part(GetParam());
  Rig sfdp(GetParam());
  ASSERT_NE(sfdp.flash, nullptr);
  EXPECT_EQ(sfdp.info.source, ParamSource::kSfdp);
  EXPECT_EQ(sfdp.info.jedec_id, m.jedec_id);
  ASSERT_TRUE(sfdp.info.part.has_value());
  EXPECT_EQ(sfdp.info.part->name, m.name);
  Rig db(GetParam(), {.use_sfdp = false});
  ASSERT_NE(db.flash, nullptr);
  EXPECT_EQ(db.info.source, ParamSource::kDatabase);
  // Both sources give the same geometry and erase opcodes.
  EXPECT_EQ(sfdp.flash->geometry().size_bytes, m.size_bytes);
  EXPECT_EQ(db.flash->geometry().size_bytes, m.size_bytes);
  ASSERT_EQ(sfdp.flash->params().erase_ops.size(), db.flash->params().erase_ops.size());
  for (size_t i = 0; i < db.flash->params().erase_ops.size(); ++i) {
    EXPECT_EQ(sfdp.flash->params().erase_ops[i].size_bytes,
              db.flash->params().erase_ops[i].size_bytes);
    EXPECT_EQ(sfdp.flash->params().erase_ops[i].opcode, db.flash->params().erase_ops[i].opcode);
    // SFDP maxima are rounded up, never below the datasheet.
    EXPECT_GE(sfdp.flash->params().erase_ops[i].max_us, db.flash->params().erase_ops[i].max_us);
  }
  EXPECT_EQ(sfdp.flash->params().addressing, db.flash->params().addressing);
  EXPECT_EQ(sfdp.flash->params().addressing == Addressing::k3Byte, m.size_bytes <= (1u << 24));
}

TEST_P(ShippedPartTest, PowerLossDuringProgramLeavesATornPage) {
  Rig rig(GetParam());
  const uint32_t last = rig.flash->geometry().size_bytes - 4096;  // High addresses too.
  ASSERT_EQ(rig.flash->Erase(last, 4096), Status::Ok());
  rig.chip.SchedulePowerCut({.at_mutating_op = 1, .op_progress_permille = 500, .seed = 3});
  EXPECT_EQ(rig.flash->Program(last, Filled(256, 0x00)), Status::Unavailable());
  rig.chip.PowerOn();
  size_t cleared = 0;
  for (std::byte b : rig.chip.contents().subspan(last, 256)) {
    cleared += 8 - std::popcount(static_cast<uint8_t>(b));
  }
  EXPECT_GT(cleared, 0u);
  EXPECT_LT(cleared, 256u * 8);
}

TEST_P(ShippedPartTest, ResetDuringEraseLeavesAPartlyErasedSector) {
  Rig rig(GetParam());
  ASSERT_EQ(rig.flash->Erase(0, 4096), Status::Ok());
  ASSERT_EQ(rig.flash->Program(0, Filled(4096, 0x00)), Status::Ok());
  // Start an erase by hand (the driver waits for its own), reset it at 70 %.
  const std::byte wren[1] = {std::byte{0x06}};
  const std::byte erase[4] = {std::byte{0x20}, {}, {}, {}};
  ASSERT_EQ(rig.bus.Transfer(std::array{SpiSegment::Write(wren)}), Status::Ok());
  ASSERT_EQ(rig.bus.Transfer(std::array{SpiSegment::Write(erase)}), Status::Ok());
  rig.clock.Advance(rig.chip.last_op_duration() * 7 / 10);
  ASSERT_EQ(rig.flash->SoftwareReset(), Status::Ok());
  EXPECT_EQ(rig.chip.counters().aborted_ops, 1u);
  std::vector<std::byte> sector(4096);
  ASSERT_EQ(rig.flash->Read(0, sector), Status::Ok());
  size_t ff = 0;
  for (std::byte b : sector) ff += b == std::byte{0xFF};
  EXPECT_GT(ff, 0u);
  EXPECT_LT(ff, 4096u);
}

INSTANTIATE_TEST_SUITE_P(Parts, ShippedPartTest, ::testing::ValuesIn(kShippedParts),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace flashrig::driver
