// Writes kv_fuzz's seed corpus (built and run with the fuzzers): real images from the
// power-loss sweep (the flash right after each of its cuts), images the TicKV oracle
// wrote (files <S>x<N>-*.bin in the directories given), and structured inputs that use
// every build command once. Each seed mounts its image, then runs a short op sequence.
//   kv_fuzz_seeds OUT_DIR [ORACLE_IMAGE_DIR...]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "kv_fuzz_input.h"
#include "kvstore/power_loss_sweep.h"

namespace {

namespace fs = std::filesystem;

// Get, set, invalidate, check, remount, cut power during a set, gc with compaction.
const std::vector<uint8_t> kOps = {kv_fuzz::kGet,
                                   1,
                                   0,
                                   kv_fuzz::kSet,
                                   2,
                                   20,
                                   7,
                                   kv_fuzz::kInvalidate,
                                   1,
                                   0,
                                   kv_fuzz::kCheck,
                                   0,
                                   0,
                                   kv_fuzz::kRemount,
                                   0,
                                   0,
                                   kv_fuzz::kPowerCut,
                                   1,
                                   2,
                                   9,
                                   kv_fuzz::kSet,
                                   2,
                                   30,
                                   8,
                                   kv_fuzz::kGc,
                                   0,
                                   1,
                                   kv_fuzz::kKvSystem,
                                   3,
                                   2,
                                   40};

void Write(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) std::fprintf(stderr, "kv_fuzz_seeds: cannot write %s\n", path.c_str());
}

// The flash after every 4th cut of a short sweep on 512 x 8 (kv_fuzz geometry 0).
int SweepSeeds(const fs::path& out) {
  int n = 0;
  flashrig::kv::testing::PowerLossConfig config{
      .seed = 7, .ops = 120, .keys = 24, .max_value_bytes = 120, .stride = 4, .max_keys = 256};
  config.on_cut_image = [&](uint64_t cut, std::span<const std::byte> image) {
    // A cut index runs once per effect: the running count keeps the names apart.
    Write(out / ("sweep-" + std::to_string(cut) + "-" + std::to_string(n) + ".bin"),
          kv_fuzz::RawImageInput(0, image, kOps));
    ++n;
  };
  const auto result = flashrig::kv::testing::RunPowerLossSweep(
      config, [] { return std::make_unique<flashrig::kv::testing::RamFlashTarget>(512, 8); });
  if (!result.ok()) std::fprintf(stderr, "kv_fuzz_seeds: sweep: %s\n", result.failure.c_str());
  return n;
}

// Oracle images named <region bytes>x<regions>-*.bin.
int OracleSeeds(const fs::path& out, const fs::path& dir) {
  int n = 0;
  const std::regex name_re(R"(^(\d+)x(\d+)-.*\.bin$)");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, name_re)) continue;
    const kv_fuzz::Geometry g{static_cast<uint32_t>(std::stoul(m[1])),
                              static_cast<uint32_t>(std::stoul(m[2]))};
    for (uint8_t i = 0; i < kv_fuzz::kGeometries.size(); ++i) {
      if (kv_fuzz::kGeometries[i].region_bytes != g.region_bytes ||
          kv_fuzz::kGeometries[i].regions != g.regions) {
        continue;
      }
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
      std::vector<std::byte> image(bytes.size());
      for (size_t j = 0; j < bytes.size(); ++j) image[j] = static_cast<std::byte>(bytes[j]);
      Write(out / ("oracle-" + name), kv_fuzz::RawImageInput(i, image, kOps));
      ++n;
    }
  }
  return n;
}

// Structured inputs: live, invalidated and torn objects, a super key, a wear record,
// bit rot and a half erase; one of them cuts power during the first mount.
int BuildSeeds(const fs::path& out) {
  using namespace kv_fuzz;
  std::vector<uint8_t> build = {kObject, 0,    kSuperKeyId, 0,    0,          0, kObject,
                                1,       3,    0x00,        40,   1,  // live key 3
                                kObject, 2,    3,           0x04, 40,         2, kObject,
                                3,       5,    0x01,        20,   3,  // newer 3, dead 5
                                kObject, 1,    7,           0x10, 60,         4, 30,
                                0x0F,  // torn key 7
                                kObject, 4,    kWearKeyId,  0,    0,          9, 1,
                                2,       3,    4,           5,    6,          7, 8,  // wear record
                                kBitRot, 0x10, 0x02,        3,    kHalfErase, 5, 0,
                                0,       16,   kRawBytes,   0x00, 0x0E,       3, 0x01,
                                0x80,    0x0F, kMount};
  int n = 0;
  for (uint8_t spec : {uint8_t{0}, uint8_t{1}, uint8_t{2}, uint8_t{0x80 | 0x04}}) {
    std::vector<uint8_t> input = {spec};
    input.insert(input.end(), build.begin(), build.end());
    input.insert(input.end(), kOps.begin(), kOps.end());
    Write(out / ("build-" + std::to_string(spec) + ".bin"), input);
    ++n;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kv_fuzz_seeds OUT_DIR [ORACLE_IMAGE_DIR...]\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  const int sweep = SweepSeeds(out);
  int oracle = 0;
  for (int i = 2; i < argc; ++i) oracle += OracleSeeds(out, argv[i]);
  const int built = BuildSeeds(out);
  std::printf("kv_fuzz_seeds: %d power-loss sweep images, %d TicKV oracle images, %d built\n",
              sweep, oracle, built);
  return sweep > 0 ? 0 : 1;
}
