// Every shipped part (configs/parts/*.json) behind SpiNorFlash on the simulated chip:
// the Flash conformance suite, probe identity (SFDP and database agree with the JSON),
// and torn state after power loss and reset during operations. Parts made from a real
// chip's SFDP image answer 5Ah with it, so the probe reads a real table; their geometry
// is checked against the corpus record the image came from (tests/data/sfdp-corpus/).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/config/part_config.h"
#include "testing/bytes.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Filled;

// The file names (without .json) of every shipped part.
std::vector<std::string> ShippedParts() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(hil::DefaultPartsDirectory())) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

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
    for (const auto& name : ShippedParts()) d.Add(Part(name));
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
  for (const auto& name : ShippedParts()) {
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
  size_t sharing = 0;
  for (const ChipModel& p : Database().parts()) sharing += p.jedec_id == m.jedec_id;
  if (sharing > 1) {
    // Without SFDP nothing tells MX25L25635F from MX25L25645G (C2 20 19): the probe says
    // so, and with SFDP (above) it found the right one.
    EXPECT_NE(db.info.part_match_why.find("JEDEC ID shared by"), std::string::npos);
    EXPECT_NE(sfdp.info.part_match_why.find("the chip's SFDP equals its image"), std::string::npos);
    return;
  }
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
  const uint32_t sector = rig.flash->geometry().erase_size_bytes;
  const uint32_t last = rig.flash->geometry().size_bytes - sector;  // High addresses too.
  ASSERT_EQ(rig.flash->Erase(last, sector), Status::Ok());
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
  const SpiNorEraseOp& op = rig.flash->params().erase_ops.front();
  const uint32_t sector = op.size_bytes;
  ASSERT_EQ(rig.flash->Erase(0, sector), Status::Ok());
  ASSERT_EQ(rig.flash->Program(0, Filled(sector, 0x00)), Status::Ok());
  // Start an erase by hand (the driver waits for its own), reset it at 70 %. After the
  // driver's program the chip is in the address mode the driver uses.
  const Addressing a = rig.flash->params().addressing;
  const std::byte wren[1] = {std::byte{0x06}};
  const std::byte erase[5] = {
      std::byte{a == Addressing::k4ByteOpcodes ? op.opcode_4b : op.opcode}, {}, {}, {}, {}};
  const size_t erase_bytes = a == Addressing::k3Byte ? 4 : 5;
  ASSERT_EQ(rig.bus.Transfer(std::array{SpiSegment::Write(wren)}), Status::Ok());
  ASSERT_EQ(rig.bus.Transfer(std::array{SpiSegment::Write(std::span(erase).first(erase_bytes))}),
            Status::Ok());
  ASSERT_TRUE(rig.chip.busy());
  rig.clock.Advance(rig.chip.last_op_duration() * 7 / 10);
  ASSERT_EQ(rig.flash->SoftwareReset(), Status::Ok());
  EXPECT_EQ(rig.chip.counters().aborted_ops, 1u);
  std::vector<std::byte> data(sector);
  ASSERT_EQ(rig.flash->Read(0, data), Status::Ok());
  size_t ff = 0;
  for (std::byte b : data) ff += b == std::byte{0xFF};
  EXPECT_GT(ff, 0u);
  EXPECT_LT(ff, sector);
}

// The corpus record an SFDP-image part was made from; null for hand-written parts.
nlohmann::json CorpusRecord(const std::string& name) {
  std::ifstream in(hil::DefaultPartsDirectory() + "/../../tests/data/sfdp-corpus/" + name +
                   ".json");
  if (!in) return nullptr;
  return nlohmann::json::parse(in);
}

TEST_P(ShippedPartTest, ProbeOfAnSfdpPartReportsTheTablesGeometry) {
  const ChipModel& m = Part(GetParam());
  const nlohmann::json record = CorpusRecord(GetParam());
  if (!m.sfdp_origin) {
    // Hand-written parts (ProbeFindsTheJsonPart... covers them); a corpus record of the
    // same chip holds only its BFPT, so there is no image to ship.
    EXPECT_TRUE(record.is_null() || !record.contains("sfdp_hex")) << "image not used";
    return;
  }
  ASSERT_FALSE(record.is_null()) << GetParam() << ": no corpus record";
  const nlohmann::json& e = record["expected"];
  Rig rig(GetParam());
  ASSERT_NE(rig.flash, nullptr);
  EXPECT_EQ(rig.info.source, ParamSource::kSfdp);
  EXPECT_EQ(rig.info.part_match, PartMatch::How::kSameImage);
  EXPECT_EQ(rig.flash->geometry().size_bytes, e["size_bytes"].get<uint64_t>());
  EXPECT_EQ(rig.flash->geometry().program_page_bytes, e["page_bytes"].get<uint32_t>());
  // Every erase the driver uses is one of the table's erase types.
  for (const SpiNorEraseOp& op : rig.flash->params().erase_ops) {
    bool listed = false;
    for (const auto& t : e["erase_types"]) {
      listed = listed || (t["size_bytes"] == op.size_bytes &&
                          t["opcode"] == fmt::format("0x{:02X}", op.opcode));
    }
    EXPECT_TRUE(listed) << op.size_bytes << " bytes, opcode " << int{op.opcode};
  }
  EXPECT_EQ(rig.flash->params().addressing == Addressing::k3Byte,
            e["size_bytes"].get<uint64_t>() <= (1u << 24));
  // Each override the part file makes is reported by the probe.
  for (size_t i = 0; i < kPartFieldCount; ++i) {
    if (!m.sfdp_origin->overrides.test(i)) continue;
    bool reported = false;
    for (const auto& n : rig.info.notes) {
      reported =
          reported || (n.kind == PartNote::Kind::kOverride && n.field == static_cast<PartField>(i));
    }
    EXPECT_TRUE(reported) << PartFieldName(static_cast<PartField>(i));
  }
}

TEST(ShippedSfdpPartTest, Is25wp256ComesOutAs32MiBWith4ByteAddressing) {
  Rig rig("is25wp256");
  ASSERT_NE(rig.flash, nullptr);
  EXPECT_EQ(rig.flash->geometry().size_bytes, 32u << 20);
  EXPECT_EQ(rig.flash->params().addressing, Addressing::k4ByteOpcodes);
  ASSERT_TRUE(rig.info.sfdp.has_value());
  EXPECT_EQ(rig.info.sfdp->bfpt.address_bytes, SfdpAddressBytes::k3Only);  // What it says.
  // The upper half is really reached: data written at 31 MiB does not land at 15 MiB.
  const uint32_t high = 31u << 20;
  ASSERT_EQ(rig.flash->Erase(high, 4096), Status::Ok());
  ASSERT_EQ(rig.flash->Program(high, Filled(16, 0x42)), Status::Ok());
  EXPECT_EQ(rig.chip.contents()[high], std::byte{0x42});
  EXPECT_EQ(rig.chip.contents()[high - (16u << 20)], std::byte{0xFF});
}

INSTANTIATE_TEST_SUITE_P(Parts, ShippedPartTest, ::testing::ValuesIn(ShippedParts()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace flashrig::driver
