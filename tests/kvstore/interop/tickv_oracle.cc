// TickvOracle: runs tickv-oracle through popen with a script file and an image file.
#include "kvstore/interop/tickv_oracle.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace flashrig::kv::interop {

std::string Hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    out += kDigits[static_cast<uint8_t>(b) >> 4];
    out += kDigits[static_cast<uint8_t>(b) & 0x0F];
  }
  return out;
}

std::string RawKey(const HashedKey& key) { return "0x" + Hex(key); }

TickvOracle::TickvOracle()
    : binary_(FLASHRIG_TICKV_ORACLE),
      dir_(std::filesystem::temp_directory_path() /
           ("flashrig_tickv_oracle_" + std::to_string(::getpid()))) {
  std::filesystem::create_directories(dir_);
}

TickvOracle::~TickvOracle() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

OracleRun TickvOracle::Run(const std::filesystem::path& image, uint32_t region_bytes,
                           uint32_t regions, const std::vector<std::string>& script, bool init,
                           bool mark_packed) const {
  const std::filesystem::path script_file = dir_ / "script.txt";
  {
    std::ofstream out(script_file);
    for (const std::string& line : script) out << line << '\n';
  }
  const std::string cmd = "'" + binary_ + "' --image '" + image.string() + "' --region-size " +
                          std::to_string(region_bytes) + " --regions " + std::to_string(regions) +
                          (init ? "" : " --no-init") + (mark_packed ? " --mark-packed" : "") +
                          " '" + script_file.string() + "' 2>/dev/null";
  OracleRun run;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return run;
  std::string output;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) output.append(buf, n);
  const int status = ::pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) run.lines.push_back(line);
  return run;
}

std::string TickvOracle::CheckReadable(
    std::span<const std::byte> image, uint32_t region_bytes, uint32_t regions,
    const std::map<HashedKey, std::vector<std::byte>>& keys) const {
  const std::filesystem::path file = dir_ / "readable.img";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(image.data()),
              static_cast<std::streamsize>(image.size()));
  }
  std::vector<std::string> script;
  for (const auto& [key, value] : keys) script.push_back("get " + RawKey(key));
  const OracleRun run = Run(file, region_bytes, regions, script, /*init=*/false, false);
  if (run.exit_code != 0 || run.lines.size() != keys.size()) {
    return "tickv-oracle exit " + std::to_string(run.exit_code) + " with " +
           std::to_string(run.lines.size()) + " answers for " + std::to_string(keys.size()) +
           " gets";
  }
  std::string failures;
  size_t missing = 0;
  size_t i = 0;
  for (const auto& [key, value] : keys) {
    const std::string& got = run.lines[i++];
    if (got == "OK " + Hex(value)) continue;
    if (++missing <= 3) failures += " get " + RawKey(key) + " -> '" + got.substr(0, 40) + "';";
  }
  if (missing == 0) return "";
  return "TicKV cannot read " + std::to_string(missing) + " of " + std::to_string(keys.size()) +
         " live keys:" + failures;
}

}  // namespace flashrig::kv::interop
