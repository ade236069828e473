// kv_fuzz's image builder: runs the build commands of kv_fuzz_input.h into a flash
// image. Objects get valid TicKV headers and checksums (so mount gets past the scan into
// duplicate resolution, repair, wear records and the rest), then some are torn, corrupted
// or half-erased the way power cuts and bit rot leave them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kv_fuzz_input.h"

namespace kv_fuzz {

class ImageBuilder {
 public:
  explicit ImageBuilder(Geometry geometry);

  // Runs build commands until kMount (consumed) or the end of the input.
  void Run(InputReader& in);
  const std::vector<std::byte>& image() const { return image_; }

 private:
  void Object(InputReader& in);
  // Programs `bytes` at `address` the NOR way: every byte ANDs into what is there.
  void Program(uint32_t address, const std::vector<std::byte>& bytes);

  Geometry geometry_;
  std::vector<std::byte> image_;
  std::vector<uint32_t> cursor_;  // Per region: where the next object goes.
};

}  // namespace kv_fuzz
