// Bad JSON and bad numbers: every nlohmann failure (overflow, huge integers, NaN-like
// text, deep nesting, invalid UTF-8, type mismatches) becomes an error naming the file and
// the JSON pointer, through every loader; nothing throws.
#include <gtest/gtest.h>

#include <string>

#include "flashrig/hil/config/config.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/config/part_config.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

// The one error ParseJsonText reports for `text`.
ConfigError ParseError(const std::string& text) {
  ConfigErrors errors;
  EXPECT_FALSE(ParseJsonText("f.json", text, &errors).has_value()) << text;
  EXPECT_EQ(errors.size(), 1u) << FormatConfigErrors(errors);
  return errors.empty() ? ConfigError{} : errors[0];
}

// The errors of a campaign given as text.
std::string CampaignErrors(const std::string& text) {
  ConfigErrors errors;
  auto doc = ParseJsonText("c.json", text, &errors);
  if (doc) {
    EXPECT_FALSE(ParseCampaign(*doc, "c.json", &errors).has_value()) << text;
  }
  return FormatConfigErrors(errors);
}

constexpr const char* kHead = R"({"name": "n", "kind": "endurance", "rig": {"target": "ram:4096x8"},
  "endurance": {"cycles": )";

TEST(JsonTextTest, ValidTextParsesToTheSameDocumentAsNlohmann) {
  const std::string text =
      R"({"a": [1, -2, 3.5, true, null, "x\u00e9"], "b": {"c": {}, "d": []}, "e": 18446744073709551615})";
  ConfigErrors errors;
  auto doc = ParseJsonText("f.json", text, &errors);
  ASSERT_TRUE(doc.has_value()) << FormatConfigErrors(errors);
  EXPECT_EQ(*doc, json::parse(text));
  EXPECT_TRUE((*doc)["e"].is_number_unsigned());
}

TEST(JsonTextTest, NumberOverflowNamesThePointer) {
  ConfigError e = ParseError(std::string(kHead) + "1e400}}");
  EXPECT_EQ(e.file, "f.json");
  EXPECT_EQ(e.json_pointer, "/endurance/cycles");
  EXPECT_NE(e.message.find("number overflow parsing '1e400'"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("line 2, column"), std::string::npos) << e.message;
  e = ParseError(R"({"rigs": [{"bus_hz": 1}, {"bus_hz": -1e999}]})");
  EXPECT_EQ(e.json_pointer, "/rigs/1/bus_hz");
  e = ParseError("[0, [1, 2e308]]");
  EXPECT_EQ(e.json_pointer, "/1/1");
}

TEST(JsonTextTest, HugeIntegersAreRejectedByTheGettersNotTheParser) {
  // Too big for uint64: nlohmann reads it as a double, the integer getter says so.
  std::string errors = CampaignErrors(std::string(kHead) + "123456789012345678901234567890}}");
  EXPECT_NE(errors.find("c.json: /endurance/cycles: expected a positive integer, got 1.2345"),
            std::string::npos)
      << errors;
  errors = CampaignErrors(std::string(kHead) + "18446744073709551616}}");
  EXPECT_NE(errors.find("c.json: /endurance/cycles: expected a positive integer"),
            std::string::npos)
      << errors;
  errors = CampaignErrors(std::string(kHead) + "-99999999999999999999999}}");
  EXPECT_NE(errors.find("c.json: /endurance/cycles: expected a positive integer"),
            std::string::npos)
      << errors;
  // 2^32 in a 32-bit field.
  errors = CampaignErrors(std::string(kHead) + "1, \"verify_every\": 4294967296}}");
  EXPECT_NE(errors.find("/endurance/verify_every: expected an integer in [1, 4294967295]"),
            std::string::npos)
      << errors;
}

TEST(JsonTextTest, NanLikeTextIsASyntaxErrorAtItsPointer) {
  for (const char* bad : {"NaN", "nan", "Infinity", "-Infinity", "1e", "+1", "-"}) {
    SCOPED_TRACE(bad);
    const ConfigError e = ParseError(std::string(kHead) + bad + "}}");
    EXPECT_EQ(e.json_pointer, "/endurance/cycles");
    EXPECT_NE(e.message.find("invalid JSON at line 2"), std::string::npos) << e.message;
  }
  // "0x10", "01": the number 0 is complete, the rest is junk inside the object.
  for (const char* bad : {"0x10", "01"}) {
    SCOPED_TRACE(bad);
    const ConfigError e = ParseError(std::string(kHead) + bad + "}}");
    EXPECT_EQ(e.json_pointer, "/endurance");
    EXPECT_NE(e.message.find("invalid JSON at line 2"), std::string::npos) << e.message;
  }
}

TEST(JsonTextTest, DeepNestingIsRejectedWithoutRecursion) {
  const std::string deep = std::string(kHead) + std::string(100000, '[') + "}}";
  const ConfigError e = ParseError(deep);
  EXPECT_NE(e.message.find("nested deeper than 64"), std::string::npos) << e.message;
  EXPECT_EQ(e.json_pointer.rfind("/endurance/cycles/0/0/", 0), 0u) << e.json_pointer;
  // kMaxJsonDepth levels are fine.
  std::string ok(kMaxJsonDepth, '[');
  ok += std::string(kMaxJsonDepth, ']');
  ConfigErrors errors;
  EXPECT_TRUE(ParseJsonText("f.json", ok, &errors).has_value()) << FormatConfigErrors(errors);
}

TEST(JsonTextTest, InvalidUtf8InAStringNamesItsPointerAndIsEscaped) {
  const ConfigError e = ParseError("{\"name\": \"ab\xff\xfe\", \"kind\": \"qualify\"}");
  EXPECT_EQ(e.json_pointer, "/name");
  EXPECT_NE(e.message.find("ill-formed UTF-8"), std::string::npos) << e.message;
  // The message itself is valid ASCII, so it can go into report.json.
  for (char c : e.message) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << e.message;
  EXPECT_NO_THROW((void)json(e.message).dump());
  // In a key: the pointer is the object that holds it.
  EXPECT_EQ(ParseError("{\"rig\": {\"t\xc3\": 1}}").json_pointer, "/rig");
  // Overlong encodings and lone surrogates.
  EXPECT_EQ(ParseError("[\"\xc0\xaf\"]").json_pointer, "/0");
  EXPECT_EQ(ParseError(R"(["\ud800"])").json_pointer, "/0");
}

TEST(JsonTextTest, SyntaxErrorsBetweenMembersPointAtTheObject) {
  ConfigError e = ParseError("{\n  \"a\": 1\n  \"b\": 2\n}");
  EXPECT_EQ(e.json_pointer, "");
  EXPECT_NE(e.message.find("invalid JSON at line 3, column"), std::string::npos) << e.message;
  e = ParseError(R"({"a": {"b": [1, 2,]}})");
  EXPECT_EQ(e.json_pointer, "/a/b/2");
  e = ParseError("");
  EXPECT_EQ(e.json_pointer, "");
  e = ParseError("{} trailing");
  EXPECT_EQ(e.json_pointer, "");
}

TEST(JsonTextTest, TypeMismatchesAreErrorsNotExceptions) {
  const std::string errors = CampaignErrors(
      R"({"name": 5, "kind": ["endurance"], "seed": "1", "rig": {"target": 7, "pins": [],
          "partition": {"size_bytes": {}}}, "stop": 3})");
  for (const char* want :
       {"c.json: /name: expected a non-empty string, got 5",
        "c.json: /kind: expected a non-empty string",
        "c.json: /seed: expected a non-negative integer, got \"1\"",
        "c.json: /rig/target: expected a non-empty string, got 7",
        "c.json: /rig/pins: expected an object, got []",
        "c.json: /rig/partition/size_bytes: expected a non-negative integer, got {}",
        "c.json: /stop: expected an object, got 3"}) {
    EXPECT_NE(errors.find(want), std::string::npos) << want << "\nin:\n" << errors;
  }
}

TEST(JsonTextTest, PartFilesGetTheSameTreatment) {
  ConfigErrors errors;
  EXPECT_FALSE(ParsePartJson("p.json", R"({"name": "X", "size_bytes": 1e400})", &errors));
  ASSERT_EQ(errors.size(), 1u) << FormatConfigErrors(errors);
  EXPECT_EQ(errors[0].ToString().rfind("p.json: /size_bytes: invalid JSON at line 1", 0), 0u)
      << errors[0].ToString();
  errors.clear();
  EXPECT_FALSE(ParsePartJson("p.json", R"({"size_bytes": 1e30, "erase_types": "x"})", &errors));
  const std::string all = FormatConfigErrors(errors);
  EXPECT_NE(all.find("p.json: /size_bytes: expected a positive integer, got 1e+30"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("p.json: /erase_types: expected an array"), std::string::npos) << all;
}

}  // namespace
}  // namespace flashrig::hil
