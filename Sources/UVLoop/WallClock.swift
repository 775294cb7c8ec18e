internal import CLibUV

/// The wall clock, through libuv. Gateway reads it here rather than through Glibc's `timespec`,
/// whose defining clang module is ambiguous once Foundation (jwt-kit) and zlib's headers are both
/// in the module graph (MemberImportVisibility then refuses `tv_sec`).
public enum WallClock {
    /// Milliseconds since the Unix epoch.
    public static func milliseconds() -> Int64 {
        var now = uv_timeval64_t()
        uv_gettimeofday(&now)
        return now.tv_sec * 1000 + Int64(now.tv_usec) / 1000
    }
}
