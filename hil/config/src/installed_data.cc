// Locating the installed part database (see installed_data.h).
// FLASHRIG_PARTS_FROM_BINDIR ("../share/flashrig/parts") and FLASHRIG_INSTALLED_PARTS_DIR
// (the absolute path under CMAKE_INSTALL_PREFIX) come from hil/config/CMakeLists.txt.
#include "installed_data.h"

#include <filesystem>
#include <system_error>

namespace flashrig::hil {

std::string PartsDirectoryBesideExecutable() {
#ifdef FLASHRIG_PARTS_FROM_BINDIR
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path parts = (exe.parent_path() / FLASHRIG_PARTS_FROM_BINDIR).lexically_normal();
  if (fs::is_directory(parts, ec)) return parts.string();
#endif
  return "";
}

std::string PartsDirectoryUnderPrefix() {
#ifdef FLASHRIG_INSTALLED_PARTS_DIR
  std::error_code ec;
  if (std::filesystem::is_directory(FLASHRIG_INSTALLED_PARTS_DIR, ec)) {
    return FLASHRIG_INSTALLED_PARTS_DIR;
  }
#endif
  return "";
}

}  // namespace flashrig::hil
