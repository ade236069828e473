// flashrom's chip database must recognise every shipped part we simulate, by JEDEC ID,
// through `flashrig serve` (one server per part, ephemeral loopback port, deadlines on
// every process), and flashrom reads a chip served through the emulated FT232H's MPSSE
// path. Without flashrom the test fails (not skips).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "hil/serprog/serprog_subprocess.h"

namespace flashrig::testing {
namespace {

using namespace std::chrono_literals;

std::string SourceDir() {
  if (const char* env = std::getenv("FLASHRIG_SOURCE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return FLASHRIG_TEST_SOURCE_DIR;
}

struct ShippedPart {
  std::string file;        // configs/parts/<file>.json
  std::string found_line;  // What flashrom 1.3 prints for it.
};

std::string PartName(const ::testing::TestParamInfo<ShippedPart>& param_info) {
  return param_info.param.file;
}

class FlashromProbeTest : public ::testing::TestWithParam<ShippedPart> {};

TEST_P(FlashromProbeTest, FlashromRecognisesTheSimulatedPart) {
  const std::string flashrom = FindFlashrom();
  ASSERT_FALSE(flashrom.empty())
      << "flashrom not found: the serprog end-to-end test needs Debian's flashrom "
         "(apt-get install flashrom; scripts/setup.sh installs it)";
  Subprocess serve;
  const std::string programmer =
      StartServe(serve, "sim:" + SourceDir() + "/configs/parts/" + GetParam().file + ".json");
  ASSERT_FALSE(programmer.empty());

  Subprocess probe;
  std::string error;
  ASSERT_TRUE(probe.Start({flashrom, "-p", programmer}, &error)) << error;
  probe.Wait(60s);
  EXPECT_FALSE(probe.timed_out()) << probe.output();
  EXPECT_NE(probe.output().find(GetParam().found_line), std::string::npos) << probe.output();

  serve.Signal(SIGINT);
  EXPECT_EQ(serve.Wait(10s), 0) << serve.output();
}

// flashrom 1.3's names. MT25QL256's ID also matches flashrom's N25Q256..3E entry, so
// flashrom lists both (and asks for -c); the MT25QL256 line must be among them.
INSTANTIATE_TEST_SUITE_P(
    ShippedParts, FlashromProbeTest,
    ::testing::Values(
        ShippedPart{"w25q16jv", "Found Winbond flash chip \"W25Q16.V\" (2048 kB, SPI)"},
        ShippedPart{"w25q128jv", "Found Winbond flash chip \"W25Q128.V\" (16384 kB, SPI)"},
        ShippedPart{"gd25q64c", "Found GigaDevice flash chip \"GD25Q64(B)\" (8192 kB, SPI)"},
        ShippedPart{"is25lp128", "Found ISSI flash chip \"IS25LP128\" (16384 kB, SPI)"},
        ShippedPart{"mx25l25645g",
                    "Found Macronix flash chip \"MX25L25635F/MX25L25645G\" (32768 kB, SPI)"},
        ShippedPart{"mt25ql256", "Found Micron flash chip \"MT25QL256\" (32768 kB, SPI)"}),
    PartName);

// flashrom -> serprog -> flashrig serve -> FtdiSpiBus -> MPSSE emulator -> simulated chip:
// the same byte path `flashrig serve --target ftdi://...` takes to a real FT232H.
TEST(FlashromOverFtdiTest, FlashromProbesAndReadsAChipBehindTheEmulatedFt232h) {
  const std::string flashrom = FindFlashrom();
  ASSERT_FALSE(flashrom.empty()) << "flashrom not found (scripts/setup.sh installs it)";
  Subprocess serve;
  const std::string programmer =
      StartServe(serve, "ftdi-emu:" + SourceDir() + "/configs/parts/w25q16jv.json");
  ASSERT_FALSE(programmer.empty());
  char dir[] = "/tmp/flashrig-ftdi-serve-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string read_file = std::string(dir) + "/read.bin";
  Subprocess read;
  std::string error;
  ASSERT_TRUE(read.Start({flashrom, "-p", programmer, "-r", read_file}, &error)) << error;
  EXPECT_EQ(read.Wait(120s), 0) << read.output();
  EXPECT_NE(read.output().find("Found Winbond flash chip \"W25Q16.V\" (2048 kB, SPI)"),
            std::string::npos)
      << read.output();
  // A fresh simulated chip is blank: every byte flashrom read back is FFh.
  std::ifstream in(read_file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.size(), 2u * 1024 * 1024);
  EXPECT_EQ(bytes.find_first_not_of('\xFF'), std::string::npos);
  std::remove(read_file.c_str());
  ::rmdir(dir);
  serve.Signal(SIGINT);
  EXPECT_EQ(serve.Wait(10s), 0) << serve.output();
}

// serprog has no authentication: serving on a non-loopback address says so, loudly.
TEST(ServeExposureTest, NonLoopbackAddressWarnsThatAnyoneCanReadAndWriteTheChip) {
  const std::string target = "sim:" + SourceDir() + "/configs/parts/w25q16jv.json";
  const std::string warning =
      "not a loopback address: anyone who can reach this port can read and write the chip";
  Subprocess exposed;
  std::string error;
  ASSERT_TRUE(exposed.Start(
      {FLASHRIG_BINARY, "serve", "--serprog", "tcp:0.0.0.0:0", "--target", target}, &error))
      << error;
  EXPECT_TRUE(exposed.WaitForOutput("serprog: listening on tcp:0.0.0.0:", 20s)) << exposed.output();
  EXPECT_NE(exposed.output().find("serve: WARNING: listening on tcp:0.0.0.0:"), std::string::npos)
      << exposed.output();
  EXPECT_NE(exposed.output().find(warning), std::string::npos) << exposed.output();
  exposed.Signal(SIGINT);
  EXPECT_EQ(exposed.Wait(10s), 0) << exposed.output();

  Subprocess local;
  ASSERT_FALSE(StartServe(local, target).empty());
  EXPECT_EQ(local.output().find("WARNING"), std::string::npos) << local.output();
  local.Signal(SIGINT);
  EXPECT_EQ(local.Wait(10s), 0) << local.output();
}

}  // namespace
}  // namespace flashrig::testing
