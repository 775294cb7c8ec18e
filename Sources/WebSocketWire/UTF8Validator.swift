/// Incremental UTF-8 validator (state carries across feeds) driven by a small DFA over byte
/// classes. Rejects overlong forms, UTF-16 surrogates (U+D800–DFFF) and code points above U+10FFFF,
/// following the well-formed byte sequences table in Unicode §3.9 (Table 3-7).
public struct UTF8Validator: Sendable {
    // States. `accept` is a character boundary; `reject` is sticky.
    private static let accept: UInt8 = 0
    private static let reject: UInt8 = 1
    // 2: one continuation byte left; 3: two left; 4: three left.
    // 5: after E0 (next A0–BF); 6: after ED (next 80–9F); 7: after F0 (next 90–BF); 8: after F4 (next 80–8F).
    private static let classCount = 12

    /// Byte classes: 0 ASCII, 1 80–8F, 2 90–9F, 3 A0–BF, 4 never valid (C0, C1, F5–FF),
    /// 5 C2–DF, 6 E0, 7 E1–EC/EE–EF, 8 ED, 9 F0, 10 F1–F3, 11 F4.
    private static let byteClass: [UInt8] = (0...255).map { (byte: Int) -> UInt8 in
        switch byte {
        case 0x00...0x7F: 0
        case 0x80...0x8F: 1
        case 0x90...0x9F: 2
        case 0xA0...0xBF: 3
        case 0xC2...0xDF: 5
        case 0xE0: 6
        case 0xE1...0xEC, 0xEE...0xEF: 7
        case 0xED: 8
        case 0xF0: 9
        case 0xF1...0xF3: 10
        case 0xF4: 11
        default: 4
        }
    }

    /// transitions[state * classCount + class] → next state.
    private static let transitions: [UInt8] = {
        var table = [UInt8](repeating: reject, count: 9 * classCount)
        func set(_ state: Int, _ classes: [Int], _ next: UInt8) {
            for byteClass in classes { table[state * classCount + byteClass] = next }
        }
        set(0, [0], 0)
        set(0, [5], 2)
        set(0, [7], 3)
        set(0, [10], 4)
        set(0, [6], 5)
        set(0, [8], 6)
        set(0, [9], 7)
        set(0, [11], 8)
        set(2, [1, 2, 3], 0)
        set(3, [1, 2, 3], 2)
        set(4, [1, 2, 3], 3)
        set(5, [3], 2)
        set(6, [1, 2], 2)
        set(7, [2, 3], 3)
        set(8, [1], 3)
        return table
    }()

    private var state: UInt8 = 0

    /// Creates a validator at a character boundary.
    public init() {}

    /// Whether the bytes so far end on a complete character.
    public var isAtBoundary: Bool { state == Self.accept }

    /// Consumes more bytes; false once any invalid sequence has been seen.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var current = state
        guard current != Self.reject else { return false }
        let count = bytes.count
        var index = 0
        // ASCII runs at a boundary are skipped a word at a time (`asciiPrefixEnd`), here and
        // after each character. All-ASCII input never reaches the tables below: they are lazily
        // made statics, and reaching them costs a `swift_once` call each.
        if current == Self.accept {
            index = Self.asciiPrefixEnd(bytes, from: 0)
            if index == count { return true }
        }
        Self.byteClass.withUnsafeBufferPointer { classes in
            Self.transitions.withUnsafeBufferPointer { table in
                while index < count {
                    let byteClass = Int(classes[Int(bytes[index])])
                    current = table[Int(current) * Self.classCount + byteClass]
                    if current == Self.reject { break }
                    index += 1
                    if current == Self.accept { index = Self.asciiPrefixEnd(bytes, from: index) }
                }
            }
        }
        state = current
        return current != Self.reject
    }

    /// Where the run of ASCII bytes from `start` ends, to a word: the index of a word holding a
    /// non-ASCII byte (or of the tail before it), or `bytes.count` when all of it is ASCII.
    /// 32 bytes per step, then 8; a tail shorter than 8 is checked as the buffer's last 8 bytes
    /// (those before `start` were validated already; a non-ASCII one there only means the tail
    /// goes through the tables).
    @inline(__always)
    private static func asciiPrefixEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let count = bytes.count
        var index = start
        @inline(__always) func word(_ offset: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        while index + 32 <= count, (word(index) | word(index + 8) | word(index + 16) | word(index + 24)) & highBits == 0 {
            index += 32
        }
        while index + 8 <= count, word(index) & highBits == 0 {
            index += 8
        }
        if index < count, count >= 8, index + 8 > count, word(count - 8) & highBits == 0 { return count }
        return index
    }

    /// Consumes more bytes; false once any invalid sequence has been seen.
    public mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Whether `bytes` is complete, well-formed UTF-8.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isAtBoundary
    }
}
