public import Router

/// How a rule's destination pattern relates to what a client names, in the broker's own
/// wildcard syntax. A client may SUBSCRIBE with a pattern itself (`/topic/#`), so a rule does
/// not just "match" a string:
/// - an **allow** rule applies only when it *covers* the destination: every destination the
///   client's pattern could receive is one the rule names;
/// - a **deny** rule applies as soon as it *overlaps*: some destination could be named by both.
/// Both err on the side of refusing; separators are interchangeable, as in subscriptions.
public struct DestinationPatterns: Sendable {
    public let syntax: DestinationSyntax

    public init(syntax: DestinationSyntax) { self.syntax = syntax }

    enum Segment: Equatable {
        case literal(Substring)
        case single
        case multi
    }

    func segments(_ text: String) -> [Segment] {
        syntax.segments(of: text).map { segment in
            if segment.elementsEqual(syntax.singleWildcard) { return .single }
            if syntax.multiWildcard.contains(where: { segment.elementsEqual($0) }) { return .multi }
            return .literal(segment)
        }
    }

    /// Every destination `destination` (possibly a pattern) stands for is named by `rule`.
    public func covers(rule: String, destination: String) -> Bool {
        covers(rule: segments(rule), destination: segments(destination))
    }

    /// Some destination is named by both `rule` and `destination` (either may be a pattern).
    public func overlaps(rule: String, destination: String) -> Bool {
        overlaps(rule: segments(rule), destination: segments(destination))
    }

    /// `covers` on segments split beforehand. Memoised in a flat array (one byte per pair of
    /// positions): a `#` may reach the same pair many ways.
    func covers(rule r: [Segment], destination d: [Segment]) -> Bool {
        var memo = [UInt8](repeating: 0, count: (r.count + 1) * (d.count + 1))
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (d.count + 1) + j
            if memo[key] != 0 { return memo[key] == 2 }
            let result: Bool
            if i == r.count {
                result = j == d.count
            } else if r[i] == .multi {
                result = go(i + 1, j) || (j < d.count && go(i, j + 1))
            } else if j == d.count {
                result = false
            } else {
                switch (r[i], d[j]) {
                case (.single, .literal), (.single, .single): result = go(i + 1, j + 1)
                case (.literal(let a), .literal(let b)): result = a == b && go(i + 1, j + 1)
                default: result = false
                }
            }
            memo[key] = result ? 2 : 1
            return result
        }
        return go(0, 0)
    }

    /// `overlaps` on segments split beforehand (memoised as `covers` is).
    func overlaps(rule a: [Segment], destination b: [Segment]) -> Bool {
        var memo = [UInt8](repeating: 0, count: (a.count + 1) * (b.count + 1))
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (b.count + 1) + j
            if memo[key] != 0 { return memo[key] == 2 }
            let result: Bool
            if i < a.count, a[i] == .multi {
                result = go(i + 1, j) || (j < b.count && go(i, j + 1))
            } else if j < b.count, b[j] == .multi {
                result = go(i, j + 1) || (i < a.count && go(i + 1, j))
            } else if i == a.count || j == b.count {
                result = i == a.count && j == b.count
            } else {
                switch (a[i], b[j]) {
                case (.literal(let x), .literal(let y)): result = x == y && go(i + 1, j + 1)
                default: result = go(i + 1, j + 1)
                }
            }
            memo[key] = result ? 2 : 1
            return result
        }
        return go(0, 0)
    }
}
