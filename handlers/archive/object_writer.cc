#include "handlers/archive/object_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kbridge::handlers::archive {
namespace {

constexpr std::size_t kOutBuffer = 64 * 1024;
constexpr std::size_t kInBuffer = 64 * 1024;  // gzip only

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

std::string fsyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errnoText("open " + dir);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) {
    errno = saved;
    return errnoText("fsync " + dir);
  }
  return "";
}

std::string makeDirectories(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? "" : dir + " exists and is not a directory";
  }
  const auto slash = dir.find_last_of('/');
  const std::string parent = slash == std::string::npos || slash == 0 ? "/" : dir.substr(0, slash);
  if (parent != dir) {
    if (auto why = makeDirectories(parent); !why.empty()) return why;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errnoText("mkdir " + dir);
  // The new entry is durable only once its parent is synced.
  return fsyncDirectory(parent);
}

ObjectWriter::ObjectWriter(std::string tempPath, int fd, Compression compression)
    : tempPath_(std::move(tempPath)), fd_(fd), compression_(compression), out_(kOutBuffer) {}

ObjectWriter::~ObjectWriter() {
  discard();
}

std::unique_ptr<ObjectWriter> ObjectWriter::create(const std::string& tempPath,
                                                   Compression compression, int level,
                                                   std::string& error) {
  const int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = errnoText("create " + tempPath);
    return nullptr;
  }
  std::unique_ptr<ObjectWriter> w(new ObjectWriter(tempPath, fd, compression));
  if (compression == Compression::kGzip) {
    // windowBits 15 + 16: a gzip wrapper, so every object is a standalone .gz file.
    if (deflateInit2(&w->zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      error = "deflateInit2 failed";
      return nullptr;  // the destructor unlinks the file
    }
    w->zInit_ = true;
    w->in_.resize(kInBuffer);
  }
  return w;
}

std::string ObjectWriter::writeOut(const char* data, std::size_t size) {
  if (auto why = writeAll(fd_, data, size); !why.empty()) return why + " " + tempPath_;
  written_ += size;
  return "";
}

std::string ObjectWriter::deflateSome(int flush) {
  for (;;) {
    zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
    zs_.avail_out = static_cast<uInt>(out_.size());
    const int rc = deflate(&zs_, flush);
    if (rc == Z_STREAM_ERROR) return "deflate failed";
    const std::size_t have = out_.size() - zs_.avail_out;
    if (have > 0) {
      if (auto why = writeOut(out_.data(), have); !why.empty()) return why;
    }
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs_.avail_in == 0 && zs_.avail_out != 0)) break;
  }
  return "";
}

std::string ObjectWriter::deflateInput(const char* data, std::size_t size) {
  while (size > 0) {
    // avail_in is 32-bit: feed at most 1 GiB per call.
    const std::size_t chunk = std::min<std::size_t>(size, 1u << 30);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs_.avail_in = static_cast<uInt>(chunk);
    if (auto why = deflateSome(Z_NO_FLUSH); !why.empty()) return why;
    data += chunk;
    size -= chunk;
  }
  return "";
}

std::string ObjectWriter::append(std::string_view bytes) {
  if (fd_ < 0) return "object already closed";
  if (compression_ == Compression::kGzip) {
    // Records are small: deflate() runs once per full input buffer, not once per record.
    if (inUsed_ + bytes.size() <= in_.size()) {
      std::memcpy(in_.data() + inUsed_, bytes.data(), bytes.size());
      inUsed_ += bytes.size();
      return "";
    }
    if (auto why = deflateInput(in_.data(), inUsed_); !why.empty()) return why;
    inUsed_ = 0;
    if (bytes.size() >= in_.size()) return deflateInput(bytes.data(), bytes.size());
    std::memcpy(in_.data(), bytes.data(), bytes.size());
    inUsed_ = bytes.size();
    return "";
  }
  if (outUsed_ + bytes.size() > out_.size()) {
    if (auto why = writeOut(out_.data(), outUsed_); !why.empty()) return why;
    outUsed_ = 0;
    if (bytes.size() >= out_.size()) return writeOut(bytes.data(), bytes.size());
  }
  std::memcpy(out_.data() + outUsed_, bytes.data(), bytes.size());
  outUsed_ += bytes.size();
  return "";
}

std::string ObjectWriter::finish() {
  if (fd_ < 0) return "object already closed";
  if (compression_ == Compression::kGzip) {
    if (auto why = deflateInput(in_.data(), inUsed_); !why.empty()) return why;
    inUsed_ = 0;
    zs_.next_in = nullptr;
    zs_.avail_in = 0;
    if (auto why = deflateSome(Z_FINISH); !why.empty()) return why;
    deflateEnd(&zs_);
    zInit_ = false;
  } else if (outUsed_ > 0) {
    if (auto why = writeOut(out_.data(), outUsed_); !why.empty()) return why;
    outUsed_ = 0;
  }
  if (::fsync(fd_) != 0) return errnoText("fsync " + tempPath_);
  ::close(fd_);
  fd_ = -1;
  return "";
}

void ObjectWriter::discard() {
  if (zInit_) deflateEnd(&zs_);
  zInit_ = false;
  if (fd_ >= 0) ::close(fd_);
  // After finish() the temp file is the caller's (renamed or still to unlink by it).
  if (fd_ >= 0 || !tempPath_.empty()) ::unlink(tempPath_.c_str());
  fd_ = -1;
  tempPath_.clear();
}

}  // namespace kbridge::handlers::archive
