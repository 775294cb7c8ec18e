/// An IPv4 address inside 127.0.0.0/8. The benchmark only ever talks to this machine: every host
/// and source address it accepts must parse as one of these (or `::1` for the target).
struct LoopbackAddress: Equatable, CustomStringConvertible {
    /// The address as a host-order integer, 0x7F000000...0x7FFFFFFF.
    let value: UInt32

    /// Parses a dotted quad in 127.0.0.0/8, or `localhost`; nil for anything else.
    init?(_ text: String) {
        if text == "localhost" {
            value = 0x7F00_0001
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt8(part) else { return nil }
            result = result << 8 | UInt32(octet)
        }
        guard result >> 24 == 127 else { return nil }
        value = result
    }

    private init(value: UInt32) {
        self.value = value
    }

    /// The address `count` further on, or nil when that leaves 127.0.0.0/8 or lands on its
    /// broadcast address.
    func advanced(by count: Int) -> LoopbackAddress? {
        let next = Int(value) + count
        guard next >= 0x7F00_0001, next < 0x7FFF_FFFF else { return nil }
        return LoopbackAddress(value: UInt32(next))
    }

    var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    /// True for the names of this machine the benchmark may target: 127.0.0.0/8, `localhost`, `::1`.
    static func isLoopbackHost(_ host: String) -> Bool {
        host == "::1" || host == "[::1]" || LoopbackAddress(host) != nil
    }

    /// The IP literal libuv needs for a host that passed `isLoopbackHost`.
    static func literal(forHost host: String) -> String {
        if host == "::1" || host == "[::1]" { return "::1" }
        return LoopbackAddress(host)?.description ?? host
    }
}

/// Spreads connections over consecutive source addresses: one source IP offers about 28,000
/// ephemeral ports toward one server port, so a benchmark with more connections needs several.
struct SourceAddressPlan {
    /// The first source address (connection 0 binds to it).
    let first: LoopbackAddress
    /// Connections bound to one source address before the next one is used; 0 lets the kernel choose.
    let connectionsPerSource: Int

    /// The address connection `index` binds to, nil when the kernel should choose.
    func source(forConnection index: Int) -> String? {
        guard connectionsPerSource > 0 else { return nil }
        return first.advanced(by: index / connectionsPerSource)?.description
    }

    /// How many source addresses `connections` connections use.
    func sourceCount(forConnections connections: Int) -> Int {
        guard connectionsPerSource > 0 else { return 1 }
        return (connections + connectionsPerSource - 1) / connectionsPerSource
    }
}
