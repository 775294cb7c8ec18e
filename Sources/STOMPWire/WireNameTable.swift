/// Finds which of a fixed set of short names some wire bytes spell, without building a String:
/// the bytes are packed into two words and compared with the names of the same length.
struct WireNameTable<Value>: Sendable where Value: Sendable {
    private struct Entry: Sendable {
        let key: Key
        let value: Value
    }

    /// Up to 16 bytes as two words; with equal lengths, equal keys mean equal bytes.
    private struct Key: Equatable, Sendable {
        let low: UInt64
        let high: UInt64
    }

    /// Names longer than this are not looked up (they cannot be packed into a key).
    static var maxLength: Int { 16 }

    /// Entries ordered by name length; those of length n are `entries[starts[n]..<starts[n + 1]]`.
    private let entries: [Entry]
    private let starts: [Int]

    /// A table of `(name, value)` pairs; names must be at most `maxLength` bytes of UTF-8.
    init(_ pairs: [(String, Value)]) {
        var byLength = [[Entry]](repeating: [], count: Self.maxLength + 1)
        for (name, value) in pairs {
            let bytes = Array(name.utf8)
            precondition(bytes.count <= Self.maxLength, "wire name '\(name)' is too long for the table")
            let key = bytes.withUnsafeBufferPointer { Self.key($0) }
            byLength[bytes.count].append(Entry(key: key, value: value))
        }
        var starts = [0]
        for bucket in byLength { starts.append(starts[starts.count - 1] + bucket.count) }
        self.entries = byLength.flatMap { $0 }
        self.starts = starts
    }

    /// The value whose name is exactly `bytes`, or nil.
    func value(for bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        let count = bytes.count
        guard count <= Self.maxLength else { return nil }
        let range = starts[count]..<starts[count + 1]
        guard !range.isEmpty else { return nil }
        let key = Self.key(bytes)
        for index in range where entries[index].key == key {
            return entries[index].value
        }
        return nil
    }

    /// Packs `bytes` (at most 16) with two loads that together cover every byte; they may overlap.
    @inline(__always)
    private static func key(_ bytes: UnsafeBufferPointer<UInt8>) -> Key {
        guard let base = bytes.baseAddress else { return Key(low: 0, high: 0) }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        switch count {
        case 8...:
            return Key(low: raw.loadUnaligned(as: UInt64.self), high: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        case 4...:
            let first = UInt64(raw.loadUnaligned(as: UInt32.self))
            let last = UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            return Key(low: first | last << 32, high: 0)
        case 2...:
            let first = UInt64(raw.loadUnaligned(as: UInt16.self))
            let last = UInt64(raw.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self))
            return Key(low: first | last << 16, high: 0)
        default:
            return Key(low: UInt64(base[0]), high: 0)
        }
    }
}
