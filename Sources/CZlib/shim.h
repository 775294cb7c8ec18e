#pragma once
#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass ZLIB_VERSION and the stream size): Swift
// cannot call them. These prefixed static inline wrappers can; nothing else lives here.

static inline int stampede_deflate_init2(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

static inline int stampede_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
