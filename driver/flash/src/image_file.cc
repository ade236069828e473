// Whole-device image files: exact-size reads and atomic writes.
#include "flashrig/driver/flash/image_file.h"

#include <cstdio>
#include <fstream>

namespace flashrig::driver {

Result<std::vector<std::byte>> ReadImageFile(const std::string& path,
                                             size_t expected_size_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::NotFound();
  const std::streamoff size = in.tellg();
  if (size < 0) return Status::Unavailable();
  if (static_cast<uint64_t>(size) != expected_size_bytes) return Status::InvalidArgument();
  in.seekg(0);
  std::vector<std::byte> image(expected_size_bytes);
  if (!in.read(reinterpret_cast<char*>(image.data()), size)) return Status::Unavailable();
  return image;
}

Result<std::vector<std::byte>> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound();
  // Read to the end rather than trusting a seek: a directory opens, but seeking in it
  // can report a size no file has.
  std::vector<std::byte> bytes;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    const auto* begin = reinterpret_cast<const std::byte*>(chunk);
    bytes.insert(bytes.end(), begin, begin + in.gcount());
  }
  if (in.bad()) return Status::Unavailable();
  return bytes;
}

Status WriteImageFileAtomically(const std::string& path, std::span<const std::byte> image) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Unavailable();
    out.write(reinterpret_cast<const char*>(image.data()),
              static_cast<std::streamsize>(image.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return Status::Unavailable();
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Unavailable();
  }
  return Status::Ok();
}

}  // namespace flashrig::driver
