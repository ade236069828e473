// Status and Result: codes, names, TRY macros, value access.
#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/flash/status.h"

#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace flashrig {
namespace {

static_assert(sizeof(Status) == 1, "Status must stay one byte");
static_assert(Status().ok());

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_STREQ(s.str(), "kOk");
}

TEST(StatusTest, CodesHaveNamesAndPrint) {
  std::ostringstream os;
  os << Status::DataLoss();
  EXPECT_EQ(os.str(), "kDataLoss");
  EXPECT_STREQ(Status::DeadlineExceeded().str(), "kDeadlineExceeded");
  EXPECT_EQ(static_cast<int>(Status::Unavailable().code()), 14);  // absl numbering
  EXPECT_FALSE(Status::NotFound().ok());
}

Status FailsAt(int step, int fail_step, int* reached) {
  *reached = step;
  return step == fail_step ? Status::Internal() : Status::Ok();
}

Status RunSteps(int fail_step, int* reached) {
  FLASHRIG_TRY(FailsAt(1, fail_step, reached));
  FLASHRIG_TRY(FailsAt(2, fail_step, reached));
  FLASHRIG_TRY(FailsAt(3, fail_step, reached));
  return Status::Ok();
}

TEST(StatusTest, TryReturnsFirstError) {
  int reached = 0;
  EXPECT_EQ(RunSteps(2, &reached), Status::Internal());
  EXPECT_EQ(reached, 2);
  EXPECT_EQ(RunSteps(0, &reached), Status::Ok());
  EXPECT_EQ(reached, 3);
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument();
  return v / 2;
}

Result<int> Quarter(int v) {
  FLASHRIG_TRY_ASSIGN(int half, Half(v));
  FLASHRIG_TRY_ASSIGN(int quarter, Half(half));
  return quarter;
}

Status QuarterStatus(int v, int* out) {
  FLASHRIG_TRY_ASSIGN(*out, Quarter(v));
  return Status::Ok();
}

TEST(ResultTest, ValueAndError) {
  Result<int> ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  EXPECT_EQ(ok.value_or(-1), 4);
  Result<int> bad = Half(3);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status(), Status::InvalidArgument());
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, TryAssignPropagates) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status(), Status::InvalidArgument());
  int out = 0;
  EXPECT_EQ(QuarterStatus(16, &out), Status::Ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(QuarterStatus(10, &out), Status::InvalidArgument());
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternal) {
  Result<std::string> r(Status::Ok());
  EXPECT_EQ(r.status(), Status::Internal());
}

TEST(ResultTest, HoldsMoveOnlyAndArrowWorks) {
  Result<std::string> r(std::string("flash"));
  EXPECT_EQ(r->size(), 5u);
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, "flash");
}

}  // namespace
}  // namespace flashrig
