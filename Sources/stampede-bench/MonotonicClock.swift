import Glibc

/// Nanoseconds on `CLOCK_MONOTONIC`. Publisher and subscribers live in one process, so send and
/// receive timestamps come from the same clock and their difference is the end-to-end latency.
enum MonotonicClock {
    /// Now, in nanoseconds since an arbitrary fixed point (boot).
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
