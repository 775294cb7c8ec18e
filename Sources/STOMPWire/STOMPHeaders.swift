/// A frame's headers in wire order (repeated names kept), held as bytes rather than Strings.
///
/// Each header is its decoded (unescaped) name, a colon, its decoded value and an LF, appended
/// to one byte array; a small entry records where each one is. A SEND's headers are copied
/// from the input once, in one piece per line, travel to every subscriber as two array
/// references, and are written out again by copying the same bytes: no String is built,
/// validated, retained or released per header unless someone asks for one as text (issue 13).
///
/// As a collection its elements are `STOMPHeader` values made on access; code on the
/// per-message path reads names and values as bytes instead (`hasName(_:at:)`,
/// `withValue(at:_:)`, `removeEntries(where:)`).
public struct STOMPHeaders: Sendable {
    /// Where one header's bytes are in `text`: the name is `start..<colon`, the value
    /// `colon + 1..<end`, and `text[end]` is the LF.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var start: UInt32
        @usableFromInline var colon: UInt32
        @usableFromInline var end: UInt32
        /// Neither part holds a byte any escaping or version writes differently (`\`, CR, LF, or
        /// a colon in the value), so `text[start...end]` is the header line for every peer.
        @usableFromInline var isPlain: Bool

        @usableFromInline
        init(start: UInt32, colon: UInt32, end: UInt32, isPlain: Bool) {
            self.start = start
            self.colon = colon
            self.end = end
            self.isPlain = isPlain
        }
    }

    @usableFromInline var text: [UInt8] = []
    @usableFromInline var entries: [Entry] = []

    /// No headers.
    public init() {}

    /// `(name, value)` pairs in wire order.
    public init(_ pairs: [(String, String)]) {
        reserveCapacity(pairs.count)
        for (name, value) in pairs { append(name: name, value: value) }
    }

    /// Makes room for `count` headers (the bytes grow as needed).
    public mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    // MARK: - Adding

    /// Appends a header from its name and value.
    public mutating func append(name: String, value: String) {
        WireText.withUTF8(name) { name in
            WireText.withUTF8(value) { value in append(name: name, value: value) }
        }
    }

    /// Appends a header from the decoded bytes of its name and value (valid UTF-8).
    mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let start = text.count
        text.append(contentsOf: name)
        text.append(ASCII.colon)
        text.append(contentsOf: value)
        text.append(ASCII.lf)
        let isPlain = !ByteSearch.containsAny(ASCII.backslash, ASCII.cr, ASCII.lf, ASCII.colon, in: name)
            && !ByteSearch.containsAny(ASCII.backslash, ASCII.cr, ASCII.lf, ASCII.colon, in: value)
        entries.append(Entry(start: UInt32(start), colon: UInt32(start + name.count), end: UInt32(text.count - 1), isPlain: isPlain))
    }

    /// Appends a header line already in decoded form (`name:value`, the first colon at `colon`,
    /// no line ending): one copy of the whole line, the decoder's path for lines without escapes.
    /// `isPlain`: the line holds no CR, backslash or second colon (`Entry.isPlain`).
    mutating func append(line: UnsafeBufferPointer<UInt8>, colon: Int, isPlain: Bool) {
        let start = text.count
        if text.isEmpty { text.reserveCapacity(128) }
        text.append(contentsOf: line)
        text.append(ASCII.lf)
        entries.append(Entry(start: UInt32(start), colon: UInt32(start + colon), end: UInt32(text.count - 1), isPlain: isPlain))
    }

    // MARK: - Reading without Strings

    /// Whether the header at `index` is called `name`.
    @inlinable
    public func hasName(_ name: String, at index: Int) -> Bool {
        let entry = entries[index]
        guard Int(entry.colon - entry.start) == name.utf8.count else { return false }
        return withName(at: index) { $0.hasSameBytes(as: name) }
    }

    /// Calls `body` with the UTF-8 of the name of the header at `index`.
    @inlinable
    public func withName<Result>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let entry = entries[index]
        return try text.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[Int(entry.start)..<Int(entry.colon)])) }
    }

    /// Calls `body` with the UTF-8 of the value of the header at `index`.
    @inlinable
    public func withValue<Result>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let entry = entries[index]
        return try text.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[Int(entry.colon) + 1..<Int(entry.end)])) }
    }

    /// The number of bytes in the name of the header at `index`.
    @inlinable
    public func nameByteCount(at index: Int) -> Int {
        Int(entries[index].colon - entries[index].start)
    }

    /// Index of the first header called `name`.
    public func firstIndex(named name: String) -> Int? {
        entries.indices.first { hasName(name, at: $0) }
    }

    // MARK: - Reading as text

    /// The name of the header at `index`.
    public func name(at index: Int) -> String {
        withName(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value of the header at `index`.
    public func value(at index: Int) -> String {
        withValue(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value of the first header called `name`: the spec says the first occurrence wins.
    public func value(named name: String) -> String? {
        firstIndex(named: name).map { value(at: $0) }
    }

    /// Every value of the headers called `name`, in wire order.
    public func values(named name: String) -> [String] {
        entries.indices.compactMap { hasName(name, at: $0) ? value(at: $0) : nil }
    }

    // MARK: - Changing

    /// Replaces the value of the first header called `name`, or appends the header.
    public mutating func setValue(_ value: String, forName name: String) {
        if let index = firstIndex(named: name) {
            self[index] = STOMPHeader(name: name, value: value)
        } else {
            append(name: name, value: value)
        }
    }

    /// Removes, in place and keeping the order of the rest, every header for which `shouldRemove`
    /// says yes; it sees each header's name and value bytes in wire order.
    @inlinable
    public mutating func removeEntries(where shouldRemove: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Bool) {
        var kept = 0
        text.withUnsafeBufferPointer { text in
            entries.withUnsafeMutableBufferPointer { entries in
                for index in entries.indices {
                    let entry = entries[index]
                    let name = UnsafeBufferPointer(rebasing: text[Int(entry.start)..<Int(entry.colon)])
                    let value = UnsafeBufferPointer(rebasing: text[Int(entry.colon) + 1..<Int(entry.end)])
                    if shouldRemove(name, value) { continue }
                    entries[kept] = entry
                    kept += 1
                }
            }
        }
        // Entries are plain values: dropping the tail is a count change, nothing is released.
        entries.removeLast(entries.count - kept)
        if entries.isEmpty { text.removeAll(keepingCapacity: true) }
    }

    // MARK: - Writing

    /// Bytes the header lines take when nothing needs escaping (a size estimate for encoders).
    public var lineBytes: Int { text.count }

    /// Appends every header line in `escaping`; a line with nothing to escape is one copy.
    func encode(_ escaping: HeaderEscaping, into out: inout [UInt8]) {
        text.withUnsafeBufferPointer { text in
            for entry in entries {
                if entry.isPlain {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: text[Int(entry.start)...Int(entry.end)]))
                } else {
                    escaping.append(UnsafeBufferPointer(rebasing: text[Int(entry.start)..<Int(entry.colon)]), to: &out)
                    out.append(ASCII.colon)
                    escaping.append(UnsafeBufferPointer(rebasing: text[Int(entry.colon) + 1..<Int(entry.end)]), to: &out)
                    out.append(ASCII.lf)
                }
            }
        }
    }

    /// Whether a `content-length` header is present (the encoders add one otherwise).
    var hasContentLength: Bool {
        entries.indices.contains { nameByteCount(at: $0) == 14 && withName(at: $0) { $0.spells("content-length") } }
    }

    /// Copies live bytes into a fresh array once replaced headers left more garbage than data.
    private mutating func compactIfMostlyGarbage() {
        guard text.count > 1024 else { return }
        let live = entries.reduce(0) { $0 + Int($1.end - $1.start) + 1 }
        guard live * 2 < text.count else { return }
        var compacted = STOMPHeaders()
        compacted.entries.reserveCapacity(entries.count)
        compacted.text.reserveCapacity(live)
        text.withUnsafeBufferPointer { text in
            for entry in entries {
                let start = UInt32(compacted.text.count)
                compacted.text.append(contentsOf: UnsafeBufferPointer(rebasing: text[Int(entry.start)...Int(entry.end)]))
                compacted.entries.append(Entry(start: start, colon: start + entry.colon - entry.start, end: start + entry.end - entry.start, isPlain: entry.isPlain))
            }
        }
        self = compacted
    }
}

// MARK: - Collection of STOMPHeader values

extension STOMPHeaders: RandomAccessCollection, MutableCollection, RangeReplaceableCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    /// The header at `position` as Strings (built on access).
    public subscript(position: Int) -> STOMPHeader {
        get { STOMPHeader(name: name(at: position), value: value(at: position)) }
        set { replaceSubrange(position..<position + 1, with: CollectionOfOne(newValue)) }
    }

    public mutating func replaceSubrange<C: Collection>(_ subrange: Range<Int>, with newElements: C) where C.Element == STOMPHeader {
        var added = STOMPHeaders()
        for header in newElements { added.append(name: header.name, value: header.value) }
        let offset = UInt32(text.count)
        text.append(contentsOf: added.text)
        let moved = added.entries.map { Entry(start: $0.start + offset, colon: $0.colon + offset, end: $0.end + offset, isPlain: $0.isPlain) }
        entries.replaceSubrange(subrange, with: moved)
        compactIfMostlyGarbage()
    }

    public mutating func append(_ header: STOMPHeader) {
        append(name: header.name, value: header.value)
    }

    public mutating func append<S: Sequence>(contentsOf headers: S) where S.Element == STOMPHeader {
        for header in headers { append(header) }
    }
}

extension STOMPHeaders: ExpressibleByArrayLiteral {
    public init(arrayLiteral headers: STOMPHeader...) {
        self.init()
        append(contentsOf: headers)
    }
}

extension STOMPHeaders: Equatable {
    /// The same names and values in the same order (however the bytes are laid out).
    public static func == (lhs: STOMPHeaders, rhs: STOMPHeaders) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in lhs.indices {
            let same = lhs.withName(at: index) { left in rhs.withName(at: index) { ByteSearch.equal(left, $0) } }
                && lhs.withValue(at: index) { left in rhs.withValue(at: index) { ByteSearch.equal(left, $0) } }
            guard same else { return false }
        }
        return true
    }
}

extension STOMPHeaders: CustomStringConvertible {
    public var description: String { Array(self).description }
}
