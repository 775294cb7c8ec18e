extension WebSocketHandshake {
    /// Whether `origin` matches one of `patterns`.
    ///
    /// `"*"` allows every origin. Otherwise a pattern is a case-insensitive glob whose `*` matches
    /// any run of characters except `/`. A pattern ending in `:*` matches the origin with any
    /// numeric port or with no port at all, so `http://localhost:*` never matches
    /// `http://localhost.evil.com`.
    public static func originAllowed(_ origin: String, patterns: [String]) -> Bool {
        let subject = origin.utf8.map(lowercased)
        for pattern in patterns {
            if pattern == "*" { return true }
            var glob = pattern.utf8.map(lowercased)
            if glob.count >= 2 && glob[glob.count - 2] == UInt8(ascii: ":") && glob[glob.count - 1] == UInt8(ascii: "*") {
                glob.removeLast(2)
                if globMatches(glob, subject) { return true }
                // Otherwise the origin must be <something matching the rest>:<digits>.
                if let colon = subject.lastIndex(of: UInt8(ascii: ":")),
                   colon + 1 < subject.count,
                   subject[(colon + 1)...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                   globMatches(glob, Array(subject[..<colon])) {
                    return true
                }
            } else if globMatches(glob, subject) {
                return true
            }
        }
        return false
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Glob match by dynamic programming over the subject (patterns and origins are short).
    private static func globMatches(_ pattern: [UInt8], _ subject: [UInt8]) -> Bool {
        // matches[j]: pattern[..<i] matches subject[..<j], for the current i.
        var matches = [Bool](repeating: false, count: subject.count + 1)
        matches[0] = true
        for char in pattern {
            var next = [Bool](repeating: false, count: subject.count + 1)
            if char == UInt8(ascii: "*") {
                next[0] = matches[0]
                for j in 0..<subject.count {
                    next[j + 1] = matches[j + 1] || (next[j] && subject[j] != UInt8(ascii: "/"))
                }
            } else {
                for j in 0..<subject.count where matches[j] && subject[j] == char {
                    next[j + 1] = true
                }
            }
            matches = next
        }
        return matches[subject.count]
    }
}
