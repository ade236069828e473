// Writes image_fuzz's seed corpus from the real writer: chip states saved by
// SaveChipState (what a checkpoint of `flashrig run` leaves: descriptor, sparse wear JSON,
// partition image), framed as image_fuzz reads them, with the --range forms of the README.
//   image_fuzz_seeds OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "flashrig/hil/targets/chip_state.h"

namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void Put16(std::string* out, size_t n) {
  out->push_back(static_cast<char>(n & 0xFF));
  out->push_back(static_cast<char>(n >> 8));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: image_fuzz_seeds OUT_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path work = out / "work";
  fs::create_directories(work);
  // The README's range forms, and refused ones: reversed, past the end, octal-looking.
  const std::vector<std::string> ranges = {"",    "0x1234+100", "0:16384", "4096+4096", "10:11",
                                           "5:5", "0:99999",    "0100+8",  "0x:1"};
  const std::vector<uint8_t> flags = {0, 1, 2 | (3 << 2), 0, 2};
  int n = 0;
  for (size_t k = 0; k < ranges.size(); ++k) {
    flashrig::hil::ChipState state;
    state.partition_image.assign(512 * (k + 1), std::byte{0xFF});
    for (size_t i = 0; i < state.partition_image.size(); i += 3) {
      state.partition_image[i] = static_cast<std::byte>(i);
    }
    state.erase_counts.assign(10 + k, 0);
    state.erase_counts[1] = 5;
    state.erase_counts[k] = 1000 * k;
    std::string why;
    // image_fuzz stores the files as chip-r-1.*: save generation 1 of rig "r".
    auto descriptor = flashrig::hil::SaveChipState(work.string(), "r", 1, state, &why);
    if (!descriptor) {
      std::fprintf(stderr, "image_fuzz_seeds: %s\n", why.c_str());
      return 1;
    }
    const std::string d = descriptor->dump();
    const std::string wear = Slurp(work / "chip-r-1.wear.json");
    const std::string image = Slurp(work / "chip-r-1.bin");
    std::string seed;
    Put16(&seed, d.size());
    Put16(&seed, wear.size());
    seed.push_back(static_cast<char>(ranges[k].size()));
    seed.push_back(static_cast<char>(flags[k % flags.size()]));
    seed += d + wear + ranges[k] + image;
    std::ofstream(out / ("chip-state-" + std::to_string(k) + ".bin"), std::ios::binary) << seed;
    ++n;
  }
  fs::remove_all(work);
  std::printf("image_fuzz_seeds: %d saved chip states\n", n);
  return 0;
}
