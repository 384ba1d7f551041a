// FUZZ_CHECK: an invariant a fuzz target asserts; a failure prints where and aborts, which libFuzzer
// reports as a crash with the input that caused it (assert() is compiled out in release builds).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
