#pragma once
// A fresh directory per test for the table tests' SQLite files, removed afterwards.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace kbridge::handlers::table {

inline std::filesystem::path freshTestDir(const char* suite) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir =
      std::filesystem::temp_directory_path() /
      (std::string("kbridge-") + suite + "-" + std::to_string(::getpid()) + "-" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace kbridge::handlers::table
