import Histogram

/// End-to-end latencies in an HdrHistogram: 1 µs to 1 h at three significant digits.
struct LatencyRecorder {
    private var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    /// Samples that were negative (a clock anomaly) and were recorded as 0.
    private(set) var negativeSamples = 0

    /// Records receipt at `now` of a message stamped `sent` (both MonotonicClock nanoseconds).
    mutating func record(sent: UInt64, now: UInt64) {
        if now < sent {
            // Rate mode stamps the intended send time, which a fast loop may not have reached yet.
            negativeSamples += 1
            histogram.record(0)
            return
        }
        histogram.record(min(now - sent, histogram.highestTrackableValue))
    }

    var count: Int { Int(histogram.totalCount) }

    /// Adds the percentile rows (milliseconds) to `report`.
    func addRows(to report: inout Report) {
        let empty = histogram.totalCount == 0
        func milliseconds(_ nanoseconds: UInt64) -> Double? { empty ? nil : Double(nanoseconds) / 1e6 }
        report.add("latency_samples", "latency samples", .int(count))
        report.add("latency_p50_ms", "latency p50", number: milliseconds(histogram.valueAtPercentile(50)), decimals: 3, unit: "ms")
        report.add("latency_p90_ms", "latency p90", number: milliseconds(histogram.valueAtPercentile(90)), decimals: 3, unit: "ms")
        report.add("latency_p99_ms", "latency p99", number: milliseconds(histogram.valueAtPercentile(99)), decimals: 3, unit: "ms")
        report.add("latency_p999_ms", "latency p99.9", number: milliseconds(histogram.valueAtPercentile(99.9)), decimals: 3, unit: "ms")
        report.add("latency_max_ms", "latency max", number: milliseconds(histogram.max), decimals: 3, unit: "ms")
        report.add("latency_mean_ms", "latency mean", number: empty ? nil : histogram.mean / 1e6, decimals: 3, unit: "ms")
    }
}
