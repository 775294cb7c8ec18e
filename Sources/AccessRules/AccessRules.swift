public import Broker
public import Router

/// What a client asks to do with a destination.
public enum AccessAction: String, Sendable, CaseIterable {
    case subscribe
    case send
}

/// Who a rule is about.
public enum AccessSubject: Sendable, Equatable {
    case anyone
    case authenticated
    case anonymous
    case role(String)
    case user(String)

    func includes(_ identity: Identity) -> Bool {
        switch self {
        case .anyone: true
        case .authenticated: !identity.isAnonymous
        case .anonymous: identity.isAnonymous
        case .role(let role): identity.roles.contains(role)
        case .user(let user): identity.user == user
        }
    }
}

/// One line of `auth.rules`: `allow|deny ACTIONS PATTERN WHO`, e.g.
/// `allow subscribe /topic/chat.{user}.* authenticated`. ACTIONS is `subscribe`, `send`,
/// `subscribe|send` or `*`; WHO is `anyone`, `authenticated`, `anonymous`, `role:NAME` or
/// `user:NAME`. `{user}` in the pattern stands for the session's user as one literal segment.
public struct AccessRule: Sendable, Equatable, CustomStringConvertible {
    public var allows: Bool
    public var actions: Set<AccessAction>
    public var pattern: String
    public var subject: AccessSubject

    public init(allows: Bool, actions: Set<AccessAction>, pattern: String, subject: AccessSubject) {
        self.allows = allows
        self.actions = actions
        self.pattern = pattern
        self.subject = subject
    }

    /// Parses one rule line; nil when it is not of the form above.
    public init?(_ line: String) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 4, words[0] == "allow" || words[0] == "deny", words[2].hasPrefix("/") else { return nil }
        allows = words[0] == "allow"
        if words[1] == "*" {
            actions = Set(AccessAction.allCases)
        } else {
            let names = words[1].split(separator: "|").map { AccessAction(rawValue: String($0)) }
            guard !names.isEmpty, names.allSatisfy({ $0 != nil }) else { return nil }
            actions = Set(names.compactMap { $0 })
        }
        pattern = words[2]
        switch words[3] {
        case "anyone": subject = .anyone
        case "authenticated": subject = .authenticated
        case "anonymous": subject = .anonymous
        case let who where who.hasPrefix("role:") && who.count > 5: subject = .role(String(who.dropFirst(5)))
        case let who where who.hasPrefix("user:") && who.count > 5: subject = .user(String(who.dropFirst(5)))
        default: return nil
        }
    }

    public var description: String {
        let who: String
        switch subject {
        case .anyone: who = "anyone"
        case .authenticated: who = "authenticated"
        case .anonymous: who = "anonymous"
        case .role(let role): who = "role:" + role
        case .user(let user): who = "user:" + user
        }
        let verbs = actions.count == AccessAction.allCases.count ? "*" : actions.map(\.rawValue).sorted().joined(separator: "|")
        return "\(allows ? "allow" : "deny") \(verbs) \(pattern) \(who)"
    }
}

/// The decision for one SEND or SUBSCRIBE: the first rule whose action and subject fit and
/// whose pattern applies (allow: covers, deny: overlaps) decides; otherwise the default.
public struct AccessPolicy: Sendable {
    public let rules: [AccessRule]
    public let defaultAllows: Bool
    let patterns: DestinationPatterns
    /// Each rule's pattern split into segments once, at startup; rules with `{user}` are split
    /// again per evaluation, after the user is put in.
    private let ruleSegments: [[DestinationPatterns.Segment]?]

    public init(rules: [AccessRule], defaultAllows: Bool, syntax: DestinationSyntax) {
        self.rules = rules
        self.defaultAllows = defaultAllows
        let patterns = DestinationPatterns(syntax: syntax)
        self.patterns = patterns
        ruleSegments = rules.map { $0.pattern.contains("{user}") ? nil : patterns.segments($0.pattern) }
    }

    /// Whether `identity` may do `action` on `destination`. The destination is split once for
    /// all rules (before, every rule split it again: about 100k instructions per decision).
    public func allows(_ action: AccessAction, _ destination: String, for identity: Identity) -> Bool {
        var destinationSegments: [DestinationPatterns.Segment]?
        for (index, rule) in rules.enumerated() where rule.actions.contains(action) && rule.subject.includes(identity) {
            let pattern: [DestinationPatterns.Segment]
            if let fixed = ruleSegments[index] {
                pattern = fixed
            } else {
                guard let resolved = resolve(rule.pattern, for: identity) else { continue }
                pattern = patterns.segments(resolved)
            }
            let named = destinationSegments ?? patterns.segments(destination)
            destinationSegments = named
            if rule.allows {
                if patterns.covers(rule: pattern, destination: named) { return true }
            } else if patterns.overlaps(rule: pattern, destination: named) {
                return false
            }
        }
        return defaultAllows
    }

    /// The pattern with `{user}` replaced; nil (the rule does not apply) for anonymous sessions
    /// and for users whose name would not be one literal segment (`a.b`, `*`, `#`).
    func resolve(_ pattern: String, for identity: Identity) -> String? {
        guard pattern.contains("{user}") else { return pattern }
        guard let user = identity.user, !user.isEmpty,
              !user.utf8.contains(where: { patterns.syntax.separators.contains($0) }),
              user != patterns.syntax.singleWildcard, !patterns.syntax.multiWildcard.contains(user)
        else { return nil }
        return pattern.replacingOccurrences(of: "{user}", with: user)
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
