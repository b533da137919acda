#include "handlers/common/text_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kbridge::handlers {

std::string writeAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::string("write: ") + std::strerror(errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return "";
}

std::string TextOutput::open(const std::string& target) {
  std::lock_guard lock(mutex_);
  target_ = target;
  if (target == "stdout") {
    fd_ = STDOUT_FILENO;
  } else if (target == "stderr") {
    fd_ = STDERR_FILENO;
  } else {
    fd_ = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return "cannot open " + target + ": " + std::strerror(errno);
    ownsFd_ = true;
  }
  return "";
}

bool TextOutput::isOpen() const {
  std::lock_guard lock(mutex_);
  return fd_ >= 0;
}

std::string TextOutput::write(std::string_view text) {
  std::lock_guard lock(mutex_);
  if (auto why = writeAll(fd_, text.data(), text.size()); !why.empty()) {
    return "write to " + target_ + " failed: " + why.substr(std::strlen("write: "));
  }
  return "";
}

void TextOutput::close() {
  std::lock_guard lock(mutex_);
  if (ownsFd_ && fd_ >= 0) ::close(fd_);
  ownsFd_ = false;
  fd_ = -1;
}

}  // namespace kbridge::handlers
