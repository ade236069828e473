// TickvOracle: the real TicKV crate (tickv-oracle, built by CMake with cargo from
// ${FLASHRIG_SHARED_DIR}/oracles/tickv) as the judge of our images: runs op scripts
// against image files and reads our images the way a Tock board would.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv::interop {

struct OracleRun {
  int exit_code = -1;              // 0: the script ran; 2: bad input; 101: TicKV panicked.
  std::vector<std::string> lines;  // One answer per op (after "init: ERR ..." if any).
};

// Lowercase hex of `bytes`.
std::string Hex(std::span<const std::byte> bytes);
// "0x" + 16 hex digits: the oracle's form of a raw key (the 8 bytes as stored).
std::string RawKey(const HashedKey& key);

class TickvOracle {
 public:
  // Uses the binary CMake built (FLASHRIG_TICKV_ORACLE) and a fresh work directory under
  // the system temp directory, removed by the destructor.
  TickvOracle();
  ~TickvOracle();
  TickvOracle(const TickvOracle&) = delete;
  TickvOracle& operator=(const TickvOracle&) = delete;

  // Runs `script` (one op per line) against `image` (blank if the file does not exist).
  // `init`: run TicKV's initialise() first, as a Tock board does at boot.
  OracleRun Run(const std::filesystem::path& image, uint32_t region_bytes, uint32_t regions,
                const std::vector<std::string>& script, bool init, bool mark_packed) const;

  // Reads `keys` (raw key -> value) from a copy of `image` without initialise(); returns
  // "" if TicKV finds every key with its value, else what it answered for the first few
  // that it did not.
  std::string CheckReadable(std::span<const std::byte> image, uint32_t region_bytes,
                            uint32_t regions,
                            const std::map<HashedKey, std::vector<std::byte>>& keys) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string binary_;
  std::filesystem::path dir_;
};

}  // namespace flashrig::kv::interop
