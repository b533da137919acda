#pragma once
// ObjectWriter: streams one archive object into a temporary file, gzip-compressing on the fly
// (zlib, so memory per open object is zlib's state — ~256 KiB at the default memLevel — plus a
// 64 KiB input and a 64 KiB output buffer, whatever the object's size), then fsyncs it so publish()
// can rename it into place atomically. Lifecycle: create() → append()* → finish() (durable temp
// file) → the caller renames it; or discard() at any point (deletes the temp file). Not
// thread-safe: owned by one shard's state. Errors are results (a message), never exceptions.

#include <zlib.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/archive/archive_settings.h"
#include "handlers/common/text_output.h"

namespace kbridge::handlers::archive {

class ObjectWriter {
 public:
  // Creates `tempPath` exclusively; nullptr and `error` on failure.
  static std::unique_ptr<ObjectWriter> create(const std::string& tempPath, Compression compression,
                                              int level, std::string& error);
  ~ObjectWriter();
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string append(std::string_view bytes);  // "" = ok
  std::string finish();                        // flush, fsync, close; "" = ok
  void discard();                              // close and unlink the temp file
  void renamed() { tempPath_.clear(); }        // the temp file is now the object: keep it

  const std::string& tempPath() const { return tempPath_; }
  std::size_t compressedBytes() const { return written_; }

 private:
  ObjectWriter(std::string tempPath, int fd, Compression compression);
  std::string deflateSome(int flush);
  std::string deflateInput(const char* data, std::size_t size);
  std::string writeOut(const char* data, std::size_t size);

  std::string tempPath_;
  int fd_ = -1;
  Compression compression_;
  z_stream zs_{};
  bool zInit_ = false;
  std::vector<char> in_;  // kGzip: records not yet handed to deflate()
  std::size_t inUsed_ = 0;
  std::vector<char> out_;
  std::size_t outUsed_ = 0;  // kNone: bytes pending in out_
  std::size_t written_ = 0;
};

// Durability helpers shared with the manifest (which also uses handlers::writeAll).
std::string fsyncDirectory(const std::string& dir);   // "" = ok
std::string makeDirectories(const std::string& dir);  // mkdir -p, fsyncs parents

}  // namespace kbridge::handlers::archive
