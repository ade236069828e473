// Target URLs (sim:, ram:, image:, registered schemes) and the range/write helpers the
// flash commands use.
#include "flashrig/hil/targets/target.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/targets/flash_image.h"
#include "testing/bytes.h"

namespace flashrig::hil {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::Filled;

std::string PartPath(const std::string& name) {
  return DefaultPartsDirectory() + "/" + name + ".json";
}
std::string Temp(const std::string& name) { return ::testing::TempDir() + "/" + name; }

class TargetTest : public ::testing::Test {
 protected:
  void SetUp() override { ForgetSimulatedChips(); }
  void TearDown() override { ForgetSimulatedChips(); }
};

TEST_F(TargetTest, SimFromJsonProbesThePart) {
  auto r = OpenTarget("sim:" + PartPath("w25q16jv"));
  ASSERT_NE(r.target, nullptr) << r.error;
  ASSERT_NE(r.target->spi_nor(), nullptr);
  ASSERT_NE(r.target->chip(), nullptr);
  ASSERT_NE(r.target->virtual_clock(), nullptr);
  EXPECT_EQ(r.target->flash().geometry().size_bytes, 2u << 20);
  EXPECT_EQ(r.target->spi_nor()->info().part->name, "W25Q16JV");
  EXPECT_EQ(r.target->spi_nor()->info().source, driver::ParamSource::kSfdp);
}

TEST_F(TargetTest, SimByNameAndOptions) {
  auto r = OpenTarget("sim:gd25q64c?seed=5&timing=max&sck_hz=30000000");
  ASSERT_NE(r.target, nullptr) << r.error;
  EXPECT_EQ(r.target->chip()->model().name, "GD25Q64C");
  ASSERT_EQ(r.target->flash().Erase(0, 4096), Status::Ok());
  EXPECT_EQ(r.target->chip()->last_op_duration(), std::chrono::milliseconds(500));  // Max tSE.
}

TEST_F(TargetTest, SimChipKeepsContentsForTheProcess) {
  const std::string url = "sim:" + PartPath("w25q16jv");
  {
    auto r = OpenTarget(url);
    ASSERT_NE(r.target, nullptr);
    ASSERT_EQ(r.target->flash().Program(0x10, Bytes({0x12})), Status::Ok());
  }
  auto again = OpenTarget(url);
  ASSERT_NE(again.target, nullptr);
  std::vector<std::byte> b(1);
  ASSERT_EQ(again.target->flash().Read(0x10, b), Status::Ok());
  EXPECT_EQ(b, Bytes({0x12}));
}

TEST_F(TargetTest, SimImageFilePersistsAcrossProcesses) {
  const std::string image = Temp("sim_image_test.bin");
  std::filesystem::remove(image);
  const std::string url = "sim:w25q16jv?image=" + image;
  {
    auto r = OpenTarget(url);
    ASSERT_NE(r.target, nullptr) << r.error;
    ASSERT_EQ(r.target->flash().Program(0x100, Bytes({0xAB, 0xCD})), Status::Ok());
    ASSERT_EQ(r.target->Flush(), Status::Ok());
  }
  EXPECT_EQ(std::filesystem::file_size(image), 2u << 20);
  ForgetSimulatedChips();  // As if a new process.
  auto r = OpenTarget(url);
  ASSERT_NE(r.target, nullptr) << r.error;
  std::vector<std::byte> b(2);
  ASSERT_EQ(r.target->flash().Read(0x100, b), Status::Ok());
  EXPECT_EQ(b, Bytes({0xAB, 0xCD}));
  // An image of the wrong size is bad input.
  std::ofstream(image, std::ios::trunc) << "short";
  ForgetSimulatedChips();
  auto bad = OpenTarget(url);
  EXPECT_EQ(bad.target, nullptr);
  EXPECT_TRUE(bad.bad_input);
  EXPECT_NE(bad.error.find("image size"), std::string::npos);
  std::filesystem::remove(image);
}

TEST_F(TargetTest, BadUrlsAreBadInputWithClearErrors) {
  struct Case {
    std::string url;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {"nope:1", "unknown scheme"},
           {"sim:", "missing part"},
           {"sim:no_such_part", "unknown part"},
           {"sim:/nonexistent/x.json", "cannot open the file"},
           {"sim:w25q16jv?colour=red", "unknown option \"colour\""},
           {"sim:w25q16jv?timing=slow", "timing"},
           {"sim:w25q16jv?seed", "bad query"},
           {"ram:4096", "expected ram:"},
           {"ram:1000x4", "power of two"},
           {"image:/nonexistent/file.bin", "cannot open"},
       }) {
    auto r = OpenTarget(c.url);
    EXPECT_EQ(r.target, nullptr) << c.url;
    EXPECT_TRUE(r.bad_input) << c.url;
    EXPECT_NE(r.error.find(c.needle), std::string::npos) << c.url << ": " << r.error;
  }
}

TEST_F(TargetTest, BrokenPartJsonNamesFileAndPointer) {
  const std::string path = Temp("broken_part.json");
  {
    std::ifstream in(PartPath("w25q16jv"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("\"size_bytes\": 32768"), 19, "\"size_bytes\": 3000");
    std::ofstream(path) << text;
  }
  auto r = OpenTarget("sim:" + path);
  EXPECT_EQ(r.target, nullptr);
  EXPECT_TRUE(r.bad_input);
  EXPECT_NE(r.error.find(path + ": /erase_types/1/size_bytes: expected a power of two, got 3000"),
            std::string::npos)
      << r.error;
  std::filesystem::remove(path);
}

TEST_F(TargetTest, RamAndImageTargets) {
  auto ram = OpenTarget("ram:4096x8");
  ASSERT_NE(ram.target, nullptr) << ram.error;
  EXPECT_NE(ram.target->ram(), nullptr);
  EXPECT_EQ(ram.target->spi_nor(), nullptr);
  EXPECT_EQ(ram.target->flash().geometry().size_bytes, 32768u);

  const std::string path = Temp("image_target_test.bin");
  {
    std::ofstream out(path, std::ios::binary);
    const std::string zeros(8192, '\0');
    out << zeros;
  }
  {
    auto img = OpenTarget("image:" + path);
    ASSERT_NE(img.target, nullptr) << img.error;
    std::vector<std::byte> b(1);
    ASSERT_EQ(img.target->flash().Read(0, b), Status::Ok());
    EXPECT_EQ(b, Bytes({0x00}));
    ASSERT_EQ(img.target->flash().Erase(4096, 4096), Status::Ok());
  }  // Flushed on close.
  auto img = OpenTarget("image:" + path);
  std::vector<std::byte> b(1);
  ASSERT_EQ(img.target->flash().Read(4096, b), Status::Ok());
  EXPECT_EQ(b, Bytes({0xFF}));
  EXPECT_TRUE(OpenTarget("image:" + path + "?sector=3000").bad_input);
  std::filesystem::remove(path);
}

TEST_F(TargetTest, RegisteredSchemeIsUsed) {
  RegisterTargetScheme("test://", [](const std::string& url, const TargetOptions&) {
    auto inner = OpenTarget("ram:4096x2");
    inner.error = url;  // Marks that this opener ran.
    return inner;
  });
  auto r = OpenTarget("test://anything");
  ASSERT_NE(r.target, nullptr);
  EXPECT_EQ(r.error, "test://anything");
}

TEST(FlashImageTest, ParseRange) {
  ByteRange r;
  std::string error;
  ASSERT_TRUE(ParseRange("", 4096, &r, &error));
  EXPECT_EQ(r.start, 0u);
  EXPECT_EQ(r.length, 4096u);
  ASSERT_TRUE(ParseRange("0x100:0x200", 4096, &r, &error));
  EXPECT_EQ(r.start, 0x100u);
  EXPECT_EQ(r.length, 0x100u);
  ASSERT_TRUE(ParseRange("16+32", 4096, &r, &error));
  EXPECT_EQ(r.start, 16u);
  EXPECT_EQ(r.length, 32u);
  // Leading zeros are decimal, as the help says (std::stoull's base 0 read them as octal).
  ASSERT_TRUE(ParseRange("0100+010", 4096, &r, &error));
  EXPECT_EQ(r.start, 100u);
  EXPECT_EQ(r.length, 10u);
  for (const char* bad : {"10", "0x200:0x100", "5:5", "0:4097", "a:b", "0+-1", "0x:1", " 1:2",
                          "1: 2", "+1:2", "99999999999999999999+1", "0x1g:2"}) {
    EXPECT_FALSE(ParseRange(bad, 4096, &r, &error)) << bad;
    EXPECT_NE(error.find("range"), std::string::npos) << bad;
  }
}

TEST(FlashImageTest, WriteErasesOnlyWhatItMustAndPreservesTheRest) {
  driver::RamFlash flash(4096, 4);
  std::vector<std::byte> before(16384);
  for (size_t i = 0; i < before.size(); ++i) before[i] = std::byte(i * 7);
  ASSERT_EQ(flash.Program(0, before), Status::Ok());
  flash.ResetCounters();
  // Range: the last 100 bytes of sector 0 and the first 100 of sector 1. Sector 0's part
  // only clears bits (AND with the old data); sector 1's needs an erase.
  std::vector<std::byte> data(200);
  for (size_t i = 0; i < 100; ++i) data[i] = before[4096 - 100 + i] & std::byte{0x0F};
  for (size_t i = 100; i < 200; ++i) data[i] = std::byte{0xFF};
  WriteStats stats;
  ASSERT_EQ(WriteRange(flash, 4096 - 100, data, &stats), Status::Ok());
  EXPECT_EQ(stats.sectors_erased, 1u);
  EXPECT_EQ(stats.sectors_programmed_only, 1u);
  EXPECT_EQ(flash.counters().erase_ops, 1u);
  std::vector<std::byte> after(16384);
  ASSERT_EQ(flash.Read(0, after), Status::Ok());
  for (size_t i = 0; i < after.size(); ++i) {
    const bool in_range = i >= 4096 - 100 && i < 4096 + 100;
    ASSERT_EQ(after[i], in_range ? data[i - (4096 - 100)] : before[i]) << i;
  }
  // Writing the same again changes nothing.
  WriteStats again;
  ASSERT_EQ(WriteRange(flash, 4096 - 100, data, &again), Status::Ok());
  EXPECT_EQ(again.sectors_unchanged, 2u);
  EXPECT_EQ(again.bytes_programmed, 0u);
  uint64_t first = 0;
  uint64_t count = 0;
  EXPECT_EQ(VerifyRange(flash, 4096 - 100, data, &first, &count), Status::Ok());
  // Runs closer than 64 bytes go in one program (the gap holds its own value, a no-op on
  // NOR); runs further apart in separate ones.
  std::vector<std::byte> gaps(1024, std::byte{0xFF});
  gaps[10] = gaps[50] = gaps[600] = std::byte{0x12};
  ASSERT_EQ(flash.Erase(8192, 4096), Status::Ok());
  flash.ResetCounters();
  WriteStats merged;
  ASSERT_EQ(WriteRange(flash, 8192, gaps, &merged), Status::Ok());
  EXPECT_EQ(flash.counters().program_ops, 2u);
  EXPECT_EQ(merged.bytes_programmed, 41u + 1u);
  std::vector<std::byte> written(1024);
  ASSERT_EQ(flash.Read(8192, written), Status::Ok());
  EXPECT_EQ(written, gaps);
  data[150] = std::byte{0x00};
  data[199] = std::byte{0x00};
  EXPECT_EQ(VerifyRange(flash, 4096 - 100, data, &first, &count), Status::DataLoss());
  EXPECT_EQ(first, 4096u + 50);
  EXPECT_EQ(count, 2u);
}

}  // namespace
}  // namespace flashrig::hil
