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
