/// Durations as a Prometheus histogram: fixed upper bounds in seconds, a count per bucket, the sum
/// and the count. Observing is a short scan of the bounds and two additions, no allocation; the
/// node only observes samples (1 in N deliveries), `/app` answers and webhook attempts.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, ascending; `+Inf` is implied.
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); the last entry is above every bound.
    public private(set) var counts: [UInt64]
    /// Sum of every observation, in seconds.
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    /// Deliveries inside one node: 50 µs to 1 s.
    public static let deliveryBounds: [Double] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
    /// Calls to a backend (network round trips): 1 ms to 10 s.
    public static let backendBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init(bounds: [Double]) {
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "bounds must be ascending")
        self.bounds = bounds
        self.counts = Array(repeating: 0, count: bounds.count + 1)
    }

    public mutating func observe(nanoseconds: UInt64) {
        observe(seconds: Double(nanoseconds) / 1e9)
    }

    public mutating func observe(seconds: Double) {
        var index = 0
        while index < bounds.count && seconds > bounds[index] { index += 1 }
        counts[index] += 1
        sum += seconds
        count += 1
    }

    /// The family's lines: `<name>_bucket{…,le="…"}` (cumulative, ending with `+Inf`), `_sum`, `_count`.
    public func samples(name: String, help: String, labels: [(String, String)] = []) -> [MetricSample] {
        var samples: [MetricSample] = []
        samples.reserveCapacity(bounds.count + 3)
        var cumulative: UInt64 = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index]
            samples.append(.init(name: name + "_bucket", help: help, type: .histogram, labels: labels + [("le", Self.format(bound))],
                                 value: Double(cumulative), family: name))
        }
        samples.append(.init(name: name + "_bucket", help: help, type: .histogram, labels: labels + [("le", "+Inf")], value: Double(count), family: name))
        samples.append(.init(name: name + "_sum", help: help, type: .histogram, labels: labels, value: sum, family: name))
        samples.append(.init(name: name + "_count", help: help, type: .histogram, labels: labels, value: Double(count), family: name))
        return samples
    }

    /// `0.00005` rather than `5e-05`: the `le` label as people write it.
    static func format(_ bound: Double) -> String {
        var digits = 0
        while digits < 9, abs((bound * pow10(digits)).rounded() - bound * pow10(digits)) > 1e-6 { digits += 1 }
        if digits == 0 { return String(Int64(bound)) }
        let scaled = Int64((bound * pow10(digits)).rounded())
        let text = String(scaled)
        let padded = String(repeating: "0", count: max(0, digits + 1 - text.count)) + text
        return padded.dropLast(digits) + "." + padded.suffix(digits)
    }

    private static func pow10(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
