#pragma once
// Where handlers that print write to: stdout, stderr or a file opened for appending, shared by
// concurrent deliveries (each write() is one locked write(2) loop, so batches never interleave),
// and the write loop itself for handlers that own their file descriptors.

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace kbridge::handlers {

// Writes all of `data` to `fd`, retrying short writes and EINTR. "" = ok, else "write: <error>".
std::string writeAll(int fd, const char* data, std::size_t size);

class TextOutput {
 public:
  TextOutput() = default;
  ~TextOutput() { close(); }
  TextOutput(const TextOutput&) = delete;
  TextOutput& operator=(const TextOutput&) = delete;

  // `target` is "stdout", "stderr" or a file path (created when missing, appended to).
  // "" = ok, else "cannot open <target>: <error>".
  std::string open(const std::string& target);
  bool isOpen() const;
  // "" = ok, else "write to <target> failed: <error>". Thread-safe.
  std::string write(std::string_view text);
  void close();

 private:
  mutable std::mutex mutex_;  // guards fd_, ownsFd_
  std::string target_;
  int fd_ = -1;
  bool ownsFd_ = false;
};

}  // namespace kbridge::handlers
