/// Pseudo-random numbers seeded from the fuzz input itself, so a crash file alone reproduces the
/// run (split points, limits, versions) without any side channel.
public struct InputRandom {
    private var state: UInt64

    /// Seeds from the FNV-1a hash of `bytes`.
    public init(seed bytes: [UInt8]) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        state = hash
    }

    /// SplitMix64: cheap, and every seed gives a usable sequence.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// A number in `range`.
    public mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// True with probability 1/`oneIn`.
    public mutating func chance(_ oneIn: Int) -> Bool {
        below(oneIn) == 0
    }

    /// Splits `0..<count` into consecutive non-empty pieces, the way reads might deliver them:
    /// one byte at a time, small pieces, or a few large ones.
    public mutating func pieces(of count: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let maxPiece: Int
        switch below(4) {
        case 0: maxPiece = 1
        case 1: maxPiece = 4
        case 2: maxPiece = 32
        default: maxPiece = max(1, count / 2)
        }
        var result: [Range<Int>] = []
        var start = 0
        while start < count {
            let length = min(count - start, 1 + below(maxPiece))
            result.append(start..<(start + length))
            start += length
        }
        return result
    }
}
