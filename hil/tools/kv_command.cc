// `flashrig kv`: the KV engine on an image file. One op from the command line, or one op
// per line from --script; one result line per op, using Tock's error names. The image is
// written back only if the command programmed or erased something.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/error_code.h"
#include "flashrig/kvstore/kv_store.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/wear_record.h"

namespace flashrig::cli {
namespace {

struct KvOptions {
  std::string image;
  uint32_t region_bytes = 4096;
  uint32_t regions = 32;
  std::string script;
  std::vector<std::string> words;
  bool stats = false;        // Print the flash traffic of the whole command.
  bool wear_record = false;  // EngineOptions::wear_record.
};

constexpr const char* kOps = "format, append, get, invalidate, set, gc, compact, list, dump";

// One parsed op.
struct KvOp {
  std::string name;
  std::string key_text;
  kv::HashedKey key{};
  std::vector<std::byte> value;
  std::string where;  // "command line" or "FILE:LINE", for errors.
};

std::string Hex(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes) out += fmt::format("{:02x}", static_cast<unsigned>(b));
  return out;
}

std::optional<std::vector<std::byte>> ParseHex(const std::string& text) {
  if (text == "-") return std::vector<std::byte>{};
  if (text.size() % 2 != 0) return std::nullopt;
  std::vector<std::byte> out;
  for (size_t i = 0; i < text.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(text[i])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 1]))) {
      return std::nullopt;
    }
    out.push_back(static_cast<std::byte>(std::stoul(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// KEY: "0x" + 16 hex digits is a raw 8-byte key; anything else is hashed (generate_key).
kv::HashedKey ParseKey(const std::string& text) {
  if (text.size() == 18 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    if (auto raw = ParseHex(text.substr(2))) {
      kv::HashedKey key{};
      std::copy(raw->begin(), raw->end(), key.begin());
      return key;
    }
  }
  return kv::GenerateKey(text);
}

// Parses one op; returns an error message or "".
std::string ParseOp(const std::vector<std::string>& w, const std::string& where, KvOp* op) {
  if (w.empty()) return fmt::format("{}: missing op ({})", where, kOps);
  op->name = w[0];
  op->where = where;
  const std::string& n = op->name;
  size_t want = 0;
  if (n == "append" || n == "set") {
    want = 3;
  } else if (n == "get" || n == "invalidate") {
    want = 2;
  } else if (n == "format" || n == "gc" || n == "compact" || n == "list" || n == "dump") {
    want = 1;
  } else {
    return fmt::format("{}: unknown op '{}' ({})", where, n, kOps);
  }
  if (w.size() != want) {
    return fmt::format("{}: '{}' takes {} argument(s), got {}", where, n, want - 1, w.size() - 1);
  }
  if (want >= 2) {
    op->key_text = w[1];
    op->key = ParseKey(w[1]);
  }
  if (want == 3) {
    auto value = ParseHex(w[2]);
    if (!value)
      return fmt::format("{}: value '{}' is not hex bytes (or '-' for empty)", where, w[2]);
    op->value = std::move(*value);
  }
  return "";
}

class KvSession {
 public:
  KvSession(const KvOptions& o, driver::FlashGeometry g)
      : options_(o),
        flash_(driver::RamFlashOptions{.geometry = g}),
        storage_(g, kv::MaxObjectsFor(g)),
        // An image file has no weak cells: no refresh at mount (EngineOptions).
        engine_(flash_, storage_.buffers(), kv::EngineOptions{.wear_record = o.wear_record}),
        store_(engine_) {}

  // Loads (unless `format` comes first) and mounts. Returns an exit code.
  int Open(bool formatting) {
    if (formatting) return kExitOk;
    const Status s = flash_.LoadImage(options_.image);
    if (s == Status::NotFound()) {
      fmt::print(stderr, "error: image '{}' not found (create it with the 'format' op)\n",
                 options_.image);
      return kExitBadInput;
    }
    if (s == Status::InvalidArgument()) {
      fmt::print(stderr, "error: image '{}' is not {} bytes (--region-size {} x --regions {})\n",
                 options_.image, flash_.geometry().size_bytes, options_.region_bytes,
                 options_.regions);
      return kExitBadInput;
    }
    if (!s.ok()) {
      fmt::print(stderr, "error: cannot read image '{}': {}\n", options_.image, s.str());
      return kExitBadInput;
    }
    if (Status m = engine_.Mount(); !m.ok()) {
      fmt::print(stderr, "error: cannot mount '{}': {}\n", options_.image,
                 kv::ErrorCodeTockName(kv::ToKvErrorCode(m)));
      return kExitDeviceError;
    }
    return kExitOk;
  }

  // Runs one op and prints its result line. Returns the kv::ErrorCode.
  kv::ErrorCode Run(const KvOp& op) {
    const std::string label = op.key_text.empty() ? op.name : op.name + " " + op.key_text;
    auto report = [&](Status s, const std::string& detail = "") {
      const kv::ErrorCode code = kv::ToKvErrorCode(s);
      fmt::print("{}: {}{}\n", label, kv::ErrorCodeTockName(code),
                 detail.empty() ? "" : " " + detail);
      return code;
    };
    if (op.name == "format") {
      formatted_ = true;
      return report(engine_.Format());
    }
    if (op.name == "append" || op.name == "set") {
      return report(op.name == "append" ? store_.Add(op.key, op.value)
                                        : store_.Set(op.key, op.value));
    }
    if (op.name == "get") {
      std::vector<std::byte> out(engine_.max_value_bytes());
      size_t length = 0;
      const Status s = store_.Get(op.key, out, &length);
      return report(s, s.ok() ? (length == 0 ? "-" : Hex(std::span(out).first(length))) : "");
    }
    if (op.name == "invalidate") return report(store_.Remove(op.key));
    if (op.name == "gc" || op.name == "compact") {
      // gc: KVSystem garbage_collect (TicKV's: erase fully invalid regions only);
      // compact: also relocate the live objects of regions at least half garbage.
      const auto freed = store_.Gc(/*compact=*/op.name == "compact");
      return report(freed.status(), freed.ok() ? fmt::format("freed {} bytes", *freed) : "");
    }
    if (op.name == "list") return List(label);
    return Dump(label);
  }

  // Something reached the flash (mount repairs and formatting included): save it.
  bool dirty() const {
    return formatted_ || flash_.counters().program_ops + flash_.counters().erase_ops != 0;
  }
  Status Save() const { return flash_.SaveImage(options_.image); }
  // Every flash operation of the command, the mount included (loading the image file is
  // not a flash operation).
  void PrintStats() const {
    const driver::FlashCounters& c = flash_.counters();
    fmt::print("flash: read {} bytes, programmed {} bytes, erased {} regions\n", c.bytes_read,
               c.bytes_programmed, c.bytes_erased / flash_.geometry().erase_size_bytes);
  }

 private:
  kv::ErrorCode List(const std::string& label) {
    std::vector<kv::HashedKey> keys(engine_.stats().live_keys);
    const size_t n = store_.ListByHash(keys);
    keys.resize(std::min(n, keys.size()));
    for (const auto& key : keys) {
      std::vector<std::byte> out(engine_.max_value_bytes());
      size_t length = 0;
      const Status s = store_.Get(key, out, &length);
      fmt::print("0x{} {} bytes{}\n", Hex(key), length,
                 s.ok() ? "" : fmt::format(" ({})", kv::ErrorCodeTockName(kv::ToKvErrorCode(s))));
    }
    fmt::print("{}: OK {} keys\n", label, keys.size());
    return kv::ErrorCode::kOk;
  }

  static const char* Label(const kv::HashedKey& key) {
    if (key == kv::format::kSuperKey) return " (super key)";
    if (key == kv::wear::kWearKey) return " (wear record)";
    if (key == kv::format::kFillerKey) return " (filler)";
    return "";
  }

  kv::ErrorCode Dump(const std::string& label) {
    const uint32_t rb = flash_.geometry().erase_size_bytes;
    const auto image = flash_.contents();
    size_t objects = 0;
    for (uint32_t r = 0; r < flash_.geometry().sector_count(); ++r) {
      const auto region = image.subspan(size_t{r} * rb, rb);
      const kv::ScanSummary summary = kv::ScanRegion(region, [&](const kv::ScanEvent& e) {
        const uint32_t address = r * rb + e.offset;
        if (e.kind == kv::ScanEvent::Kind::kObject) {
          ++objects;
          fmt::print("0x{:08x} region {:3} key 0x{} len {:4} gen {} {} crc ok{}\n", address, r,
                     Hex(e.header.key), e.header.total_bytes, e.header.generation,
                     e.header.valid ? "valid  " : "invalid", Label(e.header.key));
          return;
        }
        if (e.kind == kv::ScanEvent::Kind::kSealed) {
          fmt::print("0x{:08x} region {:3} sealed {} bytes (a torn write, dead)\n", address, r,
                     e.length);
          return;
        }
        // A garbage run: show what its first bytes claim, if they look like a header.
        const bool has_header = e.length >= kv::format::kHeaderBytes;
        const auto head =
            has_header ? kv::format::DecodeHeader(region.subspan(e.offset)) : kv::format::Header{};
        const bool plausible = has_header && head.version == 1;
        fmt::print("0x{:08x} region {:3} garbage {} bytes{}\n", address, r, e.length,
                   plausible ? fmt::format(" (header: key 0x{} len {}, crc BAD)", Hex(head.key),
                                           head.total_bytes)
                             : " (torn or corrupt)");
      });
      if (summary.free_offset < rb) {
        fmt::print("0x{:08x} region {:3} free {} bytes\n", r * rb + summary.free_offset, r,
                   rb - summary.free_offset);
      }
    }
    fmt::print("{}: OK {} objects\n", label, objects);
    return kv::ErrorCode::kOk;
  }

  const KvOptions& options_;
  driver::RamFlash flash_;
  kv::EngineStorage storage_;
  kv::TicKvEngine engine_;
  kv::KvStore store_;
  bool formatted_ = false;
};

std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : line) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += ch;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

int RunKv(const KvOptions& o) {
  const driver::FlashGeometry g{.size_bytes = o.region_bytes * o.regions,
                                .erase_size_bytes = o.region_bytes,
                                .program_page_bytes = std::min(256u, o.region_bytes)};
  if (o.regions == 0 || o.region_bytes < 64 ||
      uint64_t{o.region_bytes} * o.regions > (1ull << 30) || !g.IsValid()) {
    fmt::print(stderr,
               "error: --region-size {} x --regions {} is not a valid geometry "
               "(region size a power of two >= 64, total <= 1 GiB)\n",
               o.region_bytes, o.regions);
    return kExitBadInput;
  }
  // Parse every op before touching the image, so bad input changes nothing.
  std::vector<KvOp> ops;
  if (!o.script.empty()) {
    if (!o.words.empty()) {
      fmt::print(stderr, "error: give either --script FILE or one op, not both\n");
      return kExitBadInput;
    }
    std::ifstream in(o.script);
    if (!in) {
      fmt::print(stderr, "error: cannot open script '{}'\n", o.script);
      return kExitBadInput;
    }
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const auto words = SplitWords(line);
      if (words.empty() || words[0][0] == '#') continue;
      KvOp op;
      if (auto e = ParseOp(words, fmt::format("{}:{}", o.script, n), &op); !e.empty()) {
        fmt::print(stderr, "error: {}\n", e);
        return kExitBadInput;
      }
      ops.push_back(std::move(op));
    }
  } else {
    KvOp op;
    if (auto e = ParseOp(o.words, "command line", &op); !e.empty()) {
      fmt::print(stderr, "error: {}\n", e);
      return kExitBadInput;
    }
    ops.push_back(std::move(op));
  }
  auto session = std::make_unique<KvSession>(o, g);
  const bool formatting = !ops.empty() && ops.front().name == "format";
  if (int rc = session->Open(formatting); rc != kExitOk) return rc;
  int rc = kExitOk;
  for (const KvOp& op : ops) {
    const kv::ErrorCode code = session->Run(op);
    if (code == kv::ErrorCode::kFail) {
      rc = kExitDeviceError;
    } else if (code != kv::ErrorCode::kOk && rc == kExitOk) {
      rc = kExitCheckFailed;
    }
  }
  if (o.stats) session->PrintStats();
  if (session->dirty()) {
    if (Status s = session->Save(); !s.ok()) {
      fmt::print(stderr, "error: cannot write image '{}' ({}); the old file is unchanged\n",
                 o.image, s.str());
      return kExitDeviceError;
    }
  }
  return rc;
}

}  // namespace

void AddKvCommand(CLI::App& app, Context& ctx) {
  static KvOptions options;  // CLI11 binds by reference; lives for the process.
  auto* cmd = app.add_subcommand(
      "kv",
      "Key-value store (TicKV format) on an image file: format, append KEY HEX, get KEY, "
      "invalidate KEY, set KEY HEX, gc (TicKV garbage_collect), compact (gc + relocation), "
      "list, dump");
  cmd->add_option("--image", options.image, "Flash image file")->required();
  cmd->add_option("--region-size", options.region_bytes, "Region (erase unit) size in bytes")
      ->capture_default_str();
  cmd->add_option("--regions", options.regions, "Number of regions")->capture_default_str();
  cmd->add_option("--script", options.script, "Run one op per line from FILE");
  cmd->add_flag("--stats", options.stats,
                "After the ops, print the flash traffic of the whole command (mount included): "
                "'flash: read N bytes, programmed N bytes, erased N regions'");
  cmd->add_flag("--wear-record", options.wear_record,
                "Keep per-region erase counts on flash (an extra object TicKV does not write; "
                "docs/FORMAT.md \"Wear\")");
  cmd->add_option("op", options.words,
                  "Op and arguments. KEY: a string (hashed like Tock's generate_key) or 0x + 16 "
                  "hex digits; HEX: value bytes, or - for empty");
  cmd->callback([&ctx] { ctx.exit_code = RunKv(options); });
}

}  // namespace flashrig::cli
