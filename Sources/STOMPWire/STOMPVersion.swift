/// A STOMP protocol version this codec speaks.
public enum STOMPVersion: String, Sendable, Comparable, CaseIterable {
    case v1_0 = "1.0"
    case v1_1 = "1.1"
    case v1_2 = "1.2"

    /// Position in release order, so versions compare by age rather than by raw string.
    private var ordinal: Int {
        switch self {
        case .v1_0: 0
        case .v1_1: 1
        case .v1_2: 2
        }
    }

    /// Older versions sort first.
    public static func < (lhs: STOMPVersion, rhs: STOMPVersion) -> Bool {
        lhs.ordinal < rhs.ordinal
    }
}

extension STOMPVersion {
    /// accept-version header (comma list) → highest common version; nil header means 1.0; nil result = no common version.
    public static func negotiate(acceptVersion: String?, supported: [STOMPVersion]) -> STOMPVersion? {
        // A CONNECT without accept-version is a 1.0 client (STOMP 1.2, "Protocol Negotiation").
        guard let acceptVersion else {
            return supported.contains(.v1_0) ? .v1_0 : nil
        }
        var best: STOMPVersion?
        for token in acceptVersion.split(separator: ",", omittingEmptySubsequences: true) {
            // Unknown versions (say "2.0") are not an error: the client merely offers more than we know.
            guard let offered = STOMPVersion(rawValue: trimmingSpaces(token)), supported.contains(offered) else {
                continue
            }
            if best.map({ offered > $0 }) ?? true {
                best = offered
            }
        }
        return best
    }

    private static func trimmingSpaces(_ token: Substring) -> String {
        var token = token
        while let first = token.first, first == " " || first == "\t" { token.removeFirst() }
        while let last = token.last, last == " " || last == "\t" { token.removeLast() }
        return String(token)
    }
}
