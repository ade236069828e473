// The SFDP container: the SFDP header, the parameter headers it counts, JEDEC-looking
// headers beyond that count (some Winbond parts carry one), and reading a table's
// DWORDs without leaving the image.
#include <algorithm>

#include "sfdp_internal.h"

namespace flashrig::driver::sfdp_internal {
namespace {

SfdpParameterHeader ReadParameterHeader(std::span<const std::byte> b, uint32_t index) {
  const uint32_t o = kSfdpHeaderBytes + index * kSfdpParameterHeaderBytes;
  return {.index = index,
          .offset = o,
          .id = static_cast<uint16_t>(At(b, o + 7) << 8 | At(b, o)),
          .minor = At(b, o + 1),
          .major = At(b, o + 2),
          .dwords = At(b, o + 3),
          .pointer =
              uint32_t{At(b, o + 4)} | uint32_t{At(b, o + 5)} << 8 | uint32_t{At(b, o + 6)} << 16};
}

bool LooksLikeJedecHeader(const SfdpParameterHeader& h) {
  return h.major == 1 && h.dwords > 0 && (h.id >> 8) == 0xFF;
}

// Headers after the counted ones, up to the first table: a slot counts when it looks
// like a JEDEC header (major 1, a length, ID MSB FFh). Filler (FFh) and stray bytes do
// not. They are listed and warned about, never decoded.
void FindUncountedHeaders(std::span<const std::byte> image, Sfdp* s) {
  uint64_t first_table = image.size();
  for (const auto& h : s->tables) first_table = std::min<uint64_t>(first_table, h.pointer);
  const uint32_t counted = s->header.parameter_headers();
  for (uint32_t i = counted;; ++i) {
    const uint64_t o = kSfdpHeaderBytes + uint64_t{i} * kSfdpParameterHeaderBytes;
    if (o + kSfdpParameterHeaderBytes > first_table || i > 255) break;
    const SfdpParameterHeader h = ReadParameterHeader(image, i);
    if (!LooksLikeJedecHeader(h)) break;
    std::string text = Format(
        "parameter header %u at byte 0x%X (ID %04Xh rev %u.%u, %u DWORDs at 0x%X) is present "
        "beyond the %u the SFDP header counts (NPH = %u at byte 6); not decoded",
        i, h.offset, h.id, h.major, h.minor, h.dwords, h.pointer, counted, s->header.nph);
    if (h.end() > image.size()) {
      text += Format(", and its table lies past the end of the %zu-byte image", image.size());
    }
    s->warnings.push_back(std::move(text));
    s->uncounted.push_back(h);
  }
}

}  // namespace

Status ParseHeaders(std::span<const std::byte> image, Sfdp* s, SfdpError* error) {
  if (image.empty()) return Fail(Status::DataLoss(), error, 0, "empty SFDP image");
  static constexpr char kSignature[4] = {'S', 'F', 'D', 'P'};
  bool signature = true;
  for (size_t i = 0; i < std::min<size_t>(4, image.size()); ++i) {
    signature = signature && At(image, i) == static_cast<uint8_t>(kSignature[i]);
  }
  if (!signature) {
    std::string found;
    for (size_t i = 0; i < std::min<size_t>(4, image.size()); ++i) {
      found += Format("%s%02X", i == 0 ? "" : " ", At(image, i));
    }
    return Fail(
        Status::NotFound(), error, 0,
        "no SFDP signature at byte 0: found " + found + ", expected 53 46 44 50 (\"SFDP\")");
  }
  if (image.size() < kSfdpHeaderBytes) {
    return Fail(Status::DataLoss(), error, static_cast<uint32_t>(image.size()),
                Format("SFDP header truncated at byte %zu: it needs 8 bytes", image.size()));
  }
  s->header = {.minor = At(image, 4),
               .major = At(image, 5),
               .nph = At(image, 6),
               .access_protocol = At(image, 7)};
  if (s->header.major != 1) {
    return Fail(
        Status::Unimplemented(), error, 5,
        Format("SFDP major revision %u at byte 5 is not supported (only 1)", s->header.major));
  }
  const uint32_t counted = s->header.parameter_headers();
  for (uint32_t i = 0; i < counted; ++i) {
    const uint32_t o = kSfdpHeaderBytes + i * kSfdpParameterHeaderBytes;
    if (o + kSfdpParameterHeaderBytes > image.size()) {
      return Fail(Status::DataLoss(), error, o,
                  Format("parameter header %u at byte 0x%X is truncated: the image ends at "
                         "byte 0x%zX (byte 6 counts %u headers)",
                         i, o, image.size(), counted));
    }
    s->tables.push_back(ReadParameterHeader(image, i));
  }
  const uint32_t headers_end = kSfdpHeaderBytes + counted * kSfdpParameterHeaderBytes;
  for (const auto& h : s->tables) {
    if (h.dwords != 0 && h.pointer < headers_end) {
      s->warnings.push_back(
          Format("table %04Xh at 0x%X (parameter header %u) overlaps the parameter headers, "
                 "which end at 0x%X",
                 h.id, h.pointer, h.index, headers_end));
    }
  }
  FindUncountedHeaders(image, s);
  return Status::Ok();
}

std::vector<uint32_t> TableDwords(std::span<const std::byte> image, const SfdpParameterHeader& h,
                                  Warnings& warnings) {
  if (h.dwords == 0) {
    warnings.push_back(Format("table %04Xh (parameter header %u at byte 0x%X) has length 0", h.id,
                              h.index, h.offset));
    return {};
  }
  if (h.pointer % 4 != 0) {
    warnings.push_back(
        Format("table %04Xh pointer 0x%X (parameter header %u) is not "
               "DWORD-aligned",
               h.id, h.pointer, h.index));
  }
  uint64_t n = h.dwords;
  if (h.end() > image.size()) {
    n = image.size() > h.pointer ? (image.size() - h.pointer) / 4 : 0;
    warnings.push_back(
        Format("table %04Xh (%u DWORDs at 0x%X) runs past the end of the "
               "%zu-byte image; %llu DWORDs read",
               h.id, h.dwords, h.pointer, image.size(), static_cast<unsigned long long>(n)));
  }
  std::vector<uint32_t> out(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = Le32(image, h.pointer + 4 * i);
  return out;
}

}  // namespace flashrig::driver::sfdp_internal
