// libFuzzer target for the image-file loaders: the chip state a checkpoint keeps for
// `flashrig run --resume` (checkpoint descriptor, wear JSON, partition image:
// LoadChipState), the whole-image file reader (ReadImageFile), and the --range parser and
// read-modify-write used by `flashrig write|verify --image` (ParseRange, WriteRange,
// VerifyRange). Checks: loading never crashes and yields what the descriptor promised;
// what loads saves and loads back identical; a parsed range lies inside the device, and
// writing an image there changes exactly that range.
//   input: [descriptor len:2] [wear len:2] [range len:1] [flags:1] descriptor wear range
//          image...
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "flashrig/driver/flash/image_file.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/targets/chip_state.h"
#include "flashrig/hil/targets/flash_image.h"
#include "fuzz_input_reader.h"

namespace {

namespace fs = std::filesystem;
using fuzz::InputReader;

void Check(bool ok) {
  if (!ok) std::abort();
}

// One scratch directory per fuzzer process (files are rewritten every run).
const std::string& ScratchDir() {
  static const std::string dir = [] {
    std::string d = (fs::temp_directory_path() / "flashrig-image-fuzz-XXXXXX").string();
    Check(::mkdtemp(d.data()) != nullptr);
    return d;
  }();
  return dir;
}

std::string Text(std::span<const uint8_t> bytes) { return {bytes.begin(), bytes.end()}; }

void WriteFile(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Old generations go, the kept one stays.
void Prune() {
  const std::string dir = ScratchDir() + "/again";
  flashrig::hil::PruneChipStates(dir, "r", 2);
  Check(fs::exists(dir + "/chip-r-2.bin") && fs::exists(dir + "/chip-r-2.wear.json"));
  flashrig::hil::PruneChipStates(dir, "r", 3);
  Check(!fs::exists(dir + "/chip-r-2.bin"));
}

void ChipStateRoundTrip(const std::string& descriptor_text, std::span<const uint8_t> wear,
                        std::span<const uint8_t> image) {
  const std::string dir = ScratchDir();
  WriteFile(dir + "/chip-r-1.wear.json", wear);
  WriteFile(dir + "/chip-r-1.bin", image);
  flashrig::hil::ConfigErrors errors;
  auto descriptor = flashrig::hil::ParseJsonText("checkpoint.json", descriptor_text, &errors);
  if (!descriptor) return;
  std::string why;
  auto state = flashrig::hil::LoadChipState(dir, *descriptor, &why);
  if (!state) {
    Check(!why.empty());
    return;
  }
  Check(state->partition_image.size() == descriptor->at("image_bytes").get<uint64_t>());
  Check(state->erase_counts.size() == descriptor->at("wear_units").get<uint64_t>());
  const std::string out = dir + "/again";
  fs::create_directories(out);
  auto saved = flashrig::hil::SaveChipState(out, "r", 2, *state, &why);
  Check(saved.has_value());
  auto again = flashrig::hil::LoadChipState(out, *saved, &why);
  Check(again && again->partition_image == state->partition_image &&
        again->erase_counts == state->erase_counts);
  Prune();
  // The whole-image reader: exact size or a clean refusal.
  const auto exact = flashrig::driver::ReadImageFile(dir + "/chip-r-1.bin", image.size());
  Check(exact.ok() && exact->size() == image.size());
  Check(!flashrig::driver::ReadImageFile(dir + "/chip-r-1.bin", image.size() + 1).ok());
}

// flags bit 0: write what the device already holds (nothing may be erased or
// programmed); bit 1: the Nth program fails (flags >> 2), and verify must then notice.
void RangeWrite(const std::string& range, uint8_t flags, std::span<const uint8_t> image) {
  constexpr uint32_t kSector = 1024;
  constexpr uint32_t kSectors = 16;
  flashrig::hil::ByteRange r;
  std::string error;
  if (!flashrig::hil::ParseRange(range, kSector * kSectors, &r, &error)) {
    Check(!error.empty());
    return;
  }
  Check(r.length > 0 && uint64_t{r.start} + r.length <= kSector * kSectors);
  flashrig::driver::RamFlash flash(kSector, kSectors);
  std::vector<std::byte> before(kSector * kSectors);
  for (size_t i = 0; i < before.size(); ++i) before[i] = static_cast<std::byte>(i * 7 + (i >> 9));
  Check(flash.Restore(before).ok());
  std::vector<std::byte> data(before.begin() + r.start, before.begin() + r.start + r.length);
  if (!(flags & 1) && !image.empty()) {
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<std::byte>(image[i % image.size()]);
  }
  const bool fault = flags & 2;
  if (fault) {
    flash.AddFault({.ops = 2,
                    .status = flashrig::Status::DataLoss(),
                    .skip = static_cast<uint32_t>(flags >> 2)});
  }
  flashrig::hil::WriteStats stats;
  const flashrig::Status written = flashrig::hil::WriteRange(flash, r.start, data, &stats);
  Check(written.ok() || (fault && written == flashrig::Status::DataLoss()));
  if (flags & 1) Check(stats.sectors_erased == 0 && stats.bytes_programmed == 0);
  flash.ClearFaults();
  uint64_t first = 0, mismatches = 0;
  const flashrig::Status verified =
      flashrig::hil::VerifyRange(flash, r.start, data, &first, &mismatches);
  Check(verified.ok() == (mismatches == 0));
  if (written.ok()) Check(verified.ok());
  if (!verified.ok()) Check(first >= r.start && first < r.start + r.length);
  const auto after = flash.contents();
  for (size_t i = 0; i < after.size(); ++i) {
    // Outside the range nothing changes, unless a failed write left its sector erased.
    if ((i < r.start || i >= r.start + r.length) && written.ok()) Check(after[i] == before[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  const uint16_t descriptor_len = in.Word();
  const uint16_t wear_len = in.Word();
  const uint8_t range_len = in.Byte();
  const uint8_t flags = in.Byte();
  const std::string descriptor = Text(in.Take(descriptor_len));
  const auto wear = in.Take(wear_len);
  const std::string range = Text(in.Take(range_len));
  const auto image = in.Take(64 * 1024);
  ChipStateRoundTrip(descriptor, wear, image);
  RangeWrite(range, flags, image);
  return 0;
}
