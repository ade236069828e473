// The build phase of kv_fuzz: objects with valid checksums at each region's cursor, then
// the damage power cuts and bit rot do (kv_fuzz_input.h lists the commands).
#include "kv_fuzz_image.h"

#include <algorithm>

#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/wear_record.h"

namespace kv_fuzz {

namespace format = flashrig::kv::format;

ImageBuilder::ImageBuilder(Geometry geometry)
    : geometry_(geometry), image_(kImageBytes, std::byte{0xFF}), cursor_(geometry.regions, 0) {}

void ImageBuilder::Program(uint32_t address, const std::vector<std::byte>& bytes) {
  for (size_t i = 0; i < bytes.size() && address + i < image_.size(); ++i) {
    image_[address + i] &= bytes[i];
  }
}

void ImageBuilder::Object(InputReader& in) {
  const uint32_t region = in.Byte() % geometry_.regions;
  const uint8_t id = in.Byte() % (kUserKeys + 2);
  const uint8_t flags = in.Byte();
  const uint8_t length = in.Byte();
  const uint8_t fill = in.Byte();
  flashrig::kv::HashedKey key = UserKey(id);
  std::vector<std::byte> value(length);
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<std::byte>(fill + i);
  if (id == kSuperKeyId) {
    key = format::kSuperKey;
    value.clear();
  } else if (id == kWearKeyId) {
    // A well-formed wear record (counts from the input), or one cut to `length` bytes.
    key = flashrig::kv::wear::kWearKey;
    std::vector<flashrig::kv::RegionState> regions(geometry_.regions);
    for (auto& r : regions) r.erase_count = static_cast<uint32_t>(fill) * in.Byte();
    value.assign(flashrig::kv::wear::ValueBytes(geometry_.regions), std::byte{0});
    flashrig::kv::wear::Encode(regions, value);
    if (flags & 0x20) value.resize(std::min<size_t>(length, value.size()));
  }
  const uint32_t total = format::ObjectBytes(value.size());
  uint32_t& cursor = cursor_[region];
  if (cursor + total > geometry_.region_bytes) return;
  std::vector<std::byte> object(total);
  format::EncodeHeader(key, (flags >> 1) & 7, total, object);
  std::copy(value.begin(), value.end(), object.begin() + format::kHeaderBytes);
  const uint32_t crc = format::ObjectChecksum(object);
  for (int i = 0; i < 4; ++i) {
    object[total - 4 + i] = static_cast<std::byte>(crc >> (8 * i));
  }
  if (flags & 1) object[format::kFlagsOffset] &= std::byte{0x7F};  // Invalidated.
  if (flags & 0x10) {
    // Torn program: bytes before the cut landed, the cut byte partly, the rest not.
    const uint32_t cut = in.Byte() % total;
    object[cut] |= std::byte{in.Byte()};
    std::fill(object.begin() + cut + 1, object.end(), std::byte{0xFF});
  }
  Program(region * geometry_.region_bytes + cursor, object);
  cursor += total;
}

void ImageBuilder::Run(InputReader& in) {
  while (!in.done()) {
    switch (in.Byte() % kBuildTags) {
      case kObject:
        Object(in);
        break;
      case kRawBytes: {
        const uint32_t address = in.Word() % kImageBytes;
        const auto bytes = in.Take(in.Byte() % 16);
        std::vector<std::byte> v(bytes.size());
        std::transform(bytes.begin(), bytes.end(), v.begin(),
                       [](uint8_t b) { return std::byte{b}; });
        Program(address, v);
        break;
      }
      case kBitRot: {
        const uint32_t address = in.Word() % kImageBytes;
        image_[address] ^= std::byte{static_cast<uint8_t>(1u << (in.Byte() % 8))};
        break;
      }
      case kHalfErase: {
        const uint32_t base = (in.Byte() % geometry_.regions) * geometry_.region_bytes;
        const uint32_t offset = in.Word() % geometry_.region_bytes;
        const uint32_t n = std::min<uint32_t>(in.Byte() * 4u, geometry_.region_bytes - offset);
        std::fill_n(image_.begin() + base + offset, n, std::byte{0xFF});
        break;
      }
      case kImage: {
        const auto bytes = in.Take(kImageBytes);
        std::transform(bytes.begin(), bytes.end(), image_.begin(),
                       [](uint8_t b) { return std::byte{b}; });
        break;
      }
      default:  // kMount
        return;
    }
  }
}

}  // namespace kv_fuzz
