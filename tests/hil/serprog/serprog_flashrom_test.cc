// End to end with Debian's flashrom against the built `flashrig serve` on an ephemeral
// loopback port, backed by a simulated W25Q16JV whose image file starts with random data:
// probe, read, erase, verify (must fail after the erase), write + verify of a new random
// image, then SIGINT: a clean exit that saves exactly that image. Every process has a
// deadline, so nothing here can hang CI. Without flashrom the test fails (not skips).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "hil/serprog/serprog_subprocess.h"
#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr size_t kChipBytes = 2 * 1024 * 1024;
constexpr auto kFlashromTimeout = 60s;

std::string SourceDir() {
  if (const char* env = std::getenv("FLASHRIG_SOURCE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return FLASHRIG_TEST_SOURCE_DIR;
}

void WriteFile(const fs::path& path, const std::vector<std::byte>& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::vector<std::byte> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

class FlashromTest : public ::testing::Test {
 protected:
  void SetUp() override {
    flashrom_ = FindFlashrom();
    ASSERT_FALSE(flashrom_.empty())
        << "flashrom not found: the serprog end-to-end test needs Debian's flashrom "
           "(apt-get install flashrom; scripts/setup.sh installs it)";
    char tmpl[] = "/tmp/flashrig-serprog-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs flashrom with `args`; returns its exit code (-1 = killed at the deadline).
  int Flashrom(const std::string& programmer, std::vector<std::string> args, std::string* output) {
    std::vector<std::string> argv = {flashrom_, "-p", programmer};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess p;
    std::string error;
    EXPECT_TRUE(p.Start(argv, &error)) << error;
    const int rc = p.Wait(kFlashromTimeout);
    EXPECT_FALSE(p.timed_out()) << "flashrom hung: " << p.output();
    *output = p.output();
    return rc;
  }

  std::string flashrom_;
  fs::path dir_;
};

TEST_F(FlashromTest, ProbeReadEraseWriteVerifyAgainstSimulatedW25q16jv) {
  FLASHRIG_SEEDED(seed, 0xF1A5);
  SeededRandom rng(seed);
  const auto initial = RandomBytes(kChipBytes, rng);
  const auto image = RandomBytes(kChipBytes, rng);
  const fs::path chip_file = dir_ / "chip.bin";
  const fs::path image_file = dir_ / "image.bin";
  const fs::path initial_file = dir_ / "initial.bin";
  const fs::path read_file = dir_ / "read.bin";
  WriteFile(chip_file, initial);  // The simulated chip starts with this content.
  WriteFile(initial_file, initial);
  WriteFile(image_file, image);

  Subprocess serve;
  const std::string programmer = StartServe(
      serve, "sim:" + SourceDir() + "/configs/parts/w25q16jv.json?image=" + chip_file.string());
  ASSERT_FALSE(programmer.empty());
  std::string out;

  // Probe without -c: flashrom must identify the part from its JEDEC ID.
  ASSERT_EQ(Flashrom(programmer, {}, &out), 0) << out;
  EXPECT_NE(out.find("Programmer name is \"flashrig\""), std::string::npos) << out;
  EXPECT_NE(out.find("Found Winbond flash chip \"W25Q16.V\" (2048 kB, SPI)"), std::string::npos)
      << out;

  // Read: exactly the chip's initial content.
  ASSERT_EQ(Flashrom(programmer, {"-c", "W25Q16.V", "-r", read_file.string()}, &out), 0) << out;
  EXPECT_TRUE(ReadFile(read_file) == initial) << "flashrom read differs from the chip";

  // Erase, then verifying the old content must fail.
  ASSERT_EQ(Flashrom(programmer, {"-c", "W25Q16.V", "-E"}, &out), 0) << out;
  EXPECT_NE(out.find("Erase/write done"), std::string::npos) << out;
  EXPECT_NE(Flashrom(programmer, {"-c", "W25Q16.V", "-v", initial_file.string()}, &out), 0) << out;
  EXPECT_NE(out.find("FAILED"), std::string::npos) << out;

  // Write a new image; flashrom verifies it itself.
  ASSERT_EQ(Flashrom(programmer, {"-c", "W25Q16.V", "-w", image_file.string()}, &out), 0) << out;
  EXPECT_NE(out.find("VERIFIED"), std::string::npos) << out;

  // SIGINT: clean shutdown, and the chip's image is saved with exactly what was written.
  serve.Signal(SIGINT);
  EXPECT_EQ(serve.Wait(10s), 0) << serve.output();
  EXPECT_NE(serve.output().find("serprog: stopping"), std::string::npos) << serve.output();
  EXPECT_TRUE(ReadFile(chip_file) == image) << "saved chip image differs from the written one";
}

}  // namespace
}  // namespace flashrig::testing
