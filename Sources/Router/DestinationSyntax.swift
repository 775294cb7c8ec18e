/// How destinations split into segments and which segments are wildcards.
///
/// A destination is split on every byte listed in `separators` (by default `/` and `.`), so
/// `/topic/a.b` has the segments `""`, `topic`, `a`, `b`. A destination is a *pattern* when at
/// least one segment is exactly a wildcard token:
///
/// - `singleWildcard` (`*`) matches exactly one segment: `/topic/a.*` matches `/topic/a.b`, not
///   `/topic/a` nor `/topic/a.b.c`.
/// - any of `multiWildcard` (`#`, `**`) matches zero or more segments, anywhere in the pattern:
///   `/topic/#` matches `/topic/`, `/topic/a` and `/topic/a/b.c`; `/topic/#.end` matches
///   `/topic/end` and `/topic/x/y.end`.
///
/// Wildcards must fill a whole segment: `/topic/a*` and `/topic/#x` are exact destinations.
/// Separators are interchangeable when matching a pattern (`/topic/a.*` matches `/topic/a/b`),
/// but an exact destination only matches the identical string.
public struct DestinationSyntax: Sendable, Equatable {
    /// Bytes that end a segment; each must be ASCII.
    public var separators: [UInt8]
    /// The token matching exactly one segment.
    public var singleWildcard: String
    /// The tokens matching zero or more segments.
    public var multiWildcard: [String]

    /// A syntax with `/` and `.` separators, `*` for one segment and `#` / `**` for any number.
    public init(
        separators: [UInt8] = [UInt8(ascii: "/"), UInt8(ascii: ".")],
        singleWildcard: String = "*",
        multiWildcard: [String] = ["#", "**"]
    ) {
        self.separators = separators
        self.singleWildcard = singleWildcard
        self.multiWildcard = multiWildcard
    }

    /// True if some segment of `destination` is exactly a wildcard token.
    public func isPattern(_ destination: String) -> Bool {
        var found = false
        forEachSegment(of: destination) { segment in
            if token(of: segment) != nil {
                found = true
                return false
            }
            return true
        }
        return found
    }

    /// The segments of `destination`, empty ones included (`/a` has the segments `""` and `a`).
    public func segments(of destination: String) -> [Substring] {
        var result: [Substring] = []
        forEachSegment(of: destination) { segment in
            result.append(segment)
            return true
        }
        return result
    }

    /// The segments of `pattern` classified as literal text or wildcards.
    @usableFromInline func tokens(of pattern: String) -> [PatternToken] {
        var result: [PatternToken] = []
        forEachSegment(of: pattern) { segment in
            result.append(token(of: segment) ?? .literal(segment))
            return true
        }
        return result
    }

    /// The wildcard `segment` spells, or nil for literal text.
    private func token(of segment: Substring) -> PatternToken? {
        let bytes = segment.utf8
        if bytes.elementsEqual(singleWildcard.utf8) { return .single }
        for multi in multiWildcard where bytes.elementsEqual(multi.utf8) { return .multi }
        return nil
    }

    /// Calls `body` with each segment in order until it returns false. Splits on bytes: the
    /// separators are ASCII, so every cut falls on a character boundary.
    private func forEachSegment(of text: String, _ body: (Substring) -> Bool) {
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if separators.contains(bytes[index]) {
                guard body(text[start..<index]) else { return }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        _ = body(text[start..<bytes.endIndex])
    }
}

/// One segment of a pattern.
@usableFromInline
enum PatternToken: Hashable, Sendable {
    case literal(Substring)
    case single
    case multi
}
