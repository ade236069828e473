// `flashrig kv`: runs the built binary on image files and checks result lines, exit codes
// and that bad input never changes the image.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

class KvCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flashrig_kv_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    image_ = (dir_ / "store.bin").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunResult Kv(const std::string& args,
               const std::string& geometry = "--region-size 4096 --regions 32") {
    const std::string cmd =
        std::string(FLASHRIG_BIN) + " kv --image " + image_ + " " + geometry + " " + args + " 2>&1";
    RunResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  std::string ImageBytes() {
    std::ifstream in(image_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_;
  std::string image_;
};

TEST_F(KvCliTest, MissingImage_IsBadInputAndCreatesNothing) {
  const RunResult r = Kv("get hello");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("not found"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(image_));
}

TEST_F(KvCliTest, FormatAppendGetSetInvalidate) {
  RunResult r = Kv("format");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::filesystem::file_size(image_), 32u * 4096u);
  r = Kv("append hello 776f726c64");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "append hello: OK\n");
  r = Kv("get hello");
  EXPECT_EQ(r.output, "get hello: OK 776f726c64\n");
  // The raw form of the same key.
  r = Kv("get 0xb952f7b25d5dc18c");
  EXPECT_EQ(r.output, "get 0xb952f7b25d5dc18c: OK 776f726c64\n");
  r = Kv("append hello 00");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "append hello: NOSUPPORT\n");
  r = Kv("set hello -");
  EXPECT_EQ(r.output, "set hello: OK\n");
  EXPECT_EQ(Kv("get hello").output, "get hello: OK -\n");
  EXPECT_EQ(Kv("invalidate hello").output, "invalidate hello: OK\n");
  r = Kv("get hello");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "get hello: NOSUPPORT\n");
  r = Kv("gc");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("gc: OK freed"), std::string::npos) << r.output;
}

TEST_F(KvCliTest, ImageIsTicKvBytes) {
  ASSERT_EQ(Kv("format").exit_code, 0);
  ASSERT_EQ(Kv("append hello 776f726c64").exit_code, 0);
  const std::string image = ImageBytes();
  ASSERT_EQ(image.size(), 32u * 4096u);
  const std::string super_key("\x01\x80\x0F\x7B\xC9\xF7\xFF\x4F\x76\xF2\x44\xBB\x32\x74\x1D", 15);
  EXPECT_EQ(image.substr((0xF244 % 32) * 4096, 15), super_key);
  // "hello" lives in region 12: header 01 80 14, then its key and value.
  EXPECT_EQ(image.substr(12 * 4096, 3), std::string("\x01\x80\x14", 3));
  EXPECT_EQ(image.substr(12 * 4096 + 3, 8), std::string("\xb9\x52\xf7\xb2\x5d\x5d\xc1\x8c", 8));
  EXPECT_EQ(image.substr(12 * 4096 + 11, 5), "world");
}

TEST_F(KvCliTest, ListAndDump) {
  ASSERT_EQ(Kv("format").exit_code, 0);
  ASSERT_EQ(Kv("append a 01").exit_code, 0);
  ASSERT_EQ(Kv("append b 0202").exit_code, 0);
  ASSERT_EQ(Kv("invalidate a").exit_code, 0);
  RunResult r = Kv("list");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("2 bytes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("list: OK 1 keys"), std::string::npos) << r.output;
  r = Kv("dump");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("(super key)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("invalid crc ok"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dump: OK 3 objects"), std::string::npos) << r.output;
}

TEST_F(KvCliTest, BadInput_NeverChangesTheImage) {
  ASSERT_EQ(Kv("format").exit_code, 0);
  ASSERT_EQ(Kv("append k 01").exit_code, 0);
  const std::string before = ImageBytes();
  RunResult r = Kv("append x 0g");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("not hex"), std::string::npos) << r.output;
  r = Kv("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown op"), std::string::npos);
  r = Kv("get k", "--region-size 4096 --regions 16");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("is not 65536 bytes"), std::string::npos) << r.output;
  r = Kv("get k", "--region-size 3000 --regions 16");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("not a valid geometry"), std::string::npos) << r.output;
  EXPECT_EQ(ImageBytes(), before);
  EXPECT_FALSE(std::filesystem::exists(image_ + ".tmp"));
}

TEST_F(KvCliTest, Script_OneResultLinePerOpAndBadLineRunsNothing) {
  const std::string script = (dir_ / "ops.txt").string();
  {
    std::ofstream out(script);
    out << "format\n# a comment\nappend k1 aa\n\nset k1 bbcc\nget k1\nget missing\n";
  }
  RunResult r = Kv("--script " + script);
  EXPECT_EQ(r.exit_code, 1);  // The last get fails.
  EXPECT_EQ(r.output,
            "format: OK\nappend k1: OK\nset k1: OK\nget k1: OK bbcc\nget missing: NOSUPPORT\n");
  const std::string before = ImageBytes();
  {
    std::ofstream out(script);
    out << "set k1 dd\nappend k2\n";
  }
  r = Kv("--script " + script);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("ops.txt:2"), std::string::npos) << r.output;
  EXPECT_EQ(ImageBytes(), before);
}

// `gc` is KVSystem garbage_collect (TicKV's: only fully invalid regions); `compact` also
// relocates the live objects of regions at least half garbage.
TEST_F(KvCliTest, GcIsTicKvGarbageCollect_CompactRelocates) {
  const std::string script = (dir_ / "ops.txt").string();
  {
    std::ofstream out(script);
    // Two raw keys homed in region 5 (bytes 6..7 = 0x0005).
    out << "format\nappend 0x0101010101010005 " << std::string(2 * 2100, 'a')
        << "\nappend 0x0202020202020005 01\ninvalidate 0x0101010101010005\ngc\ncompact\n"
        << "get 0x0202020202020005\n";
  }
  const RunResult r = Kv("--script " + script);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("gc: OK freed 0 bytes\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("compact: OK freed 2115 bytes\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("get 0x0202020202020005: OK 01\n"), std::string::npos) << r.output;
}

// --stats covers the whole command, the mount included; a mount of a clean image
// programs nothing and the image file is not rewritten.
TEST_F(KvCliTest, Stats_CleanRemountProgramsNothing) {
  const std::string script = (dir_ / "ops.txt").string();
  {
    std::ofstream out(script);
    out << "format\n";
    for (int i = 0; i < 1200; ++i) out << "append key" << i << " " << std::string(82, 'c') << "\n";
    for (int i = 0; i < 3000; ++i) out << "set key" << (i * 7) % 1200 << " 0" << i % 10 << "\n";
  }
  RunResult r = Kv("--script " + script + " --stats");
  ASSERT_EQ(r.exit_code, 0) << r.output.substr(r.output.size() - 200);
  EXPECT_NE(r.output.find("flash: read "), std::string::npos);
  const std::string before = ImageBytes();
  const auto mtime = std::filesystem::last_write_time(image_);
  r = Kv("--stats get key5");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "get key5: OK 05\nflash: read " + std::to_string(32 * 4096 + 16) +
                          " bytes, programmed 0 bytes, erased 0 regions\n");
  r = Kv("--stats list");
  EXPECT_NE(r.output.find("programmed 0 bytes, erased 0 regions\n"), std::string::npos);
  EXPECT_EQ(ImageBytes(), before);
  EXPECT_EQ(std::filesystem::last_write_time(image_), mtime);
  r = Kv("--stats format");
  EXPECT_EQ(r.output, "format: OK\nflash: read 0 bytes, programmed 15 bytes, erased 32 regions\n");
}

// --wear-record writes the record; without the flag an existing record stays hidden and
// the next write invalidates it.
TEST_F(KvCliTest, WearRecordFlag_OptIn) {
  const std::string script = (dir_ / "ops.txt").string();
  {
    std::ofstream out(script);
    out << "format\n";
    for (int i = 0; i < 400; ++i)
      out << "set k" << i % 20 << " " << std::string(2 * 1500, 'd') << "\n";
  }
  ASSERT_EQ(Kv("--wear-record --script " + script).exit_code, 0);
  EXPECT_NE(Kv("dump").output.find("valid   crc ok (wear record)"), std::string::npos);
  EXPECT_NE(Kv("list").output.find("list: OK 20 keys"), std::string::npos);
  ASSERT_EQ(Kv("append fresh 01").exit_code, 0);
  const std::string dump = Kv("dump").output;
  EXPECT_EQ(dump.find("valid   crc ok (wear record)"), std::string::npos) << dump;
  EXPECT_NE(dump.find("invalid crc ok (wear record)"), std::string::npos) << dump;
}

}  // namespace
}  // namespace flashrig::kv
