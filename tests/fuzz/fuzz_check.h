#pragma once
// The fuzz targets' assertion: an invariant that does not hold is a crash libFuzzer records
// (the input lands in a crash-* file), with the condition and where it failed on stderr.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
