#pragma once
#include <uv.h>
// glibc malloc_trim: give free heap pages back after big buffers were released (UVLoop BufferedMemory).
#include <malloc.h>
