import Router

extension LocalBroker {
    /// The semantics chosen by `destination`'s prefix; the longest matching prefix wins, so
    /// overlapping custom prefixes stay unambiguous.
    func kind(of destination: String) throws(BrokerError) -> DestinationKind {
        var best: (kind: DestinationKind, length: Int)?
        func consider(_ kind: DestinationKind, _ prefix: String) {
            let length = prefix.utf8.count
            if length > (best?.length ?? -1) && destination.utf8.starts(with: prefix.utf8) {
                best = (kind, length)
            }
        }
        consider(.topic, prefixes.topic)
        consider(.queue, prefixes.queue)
        consider(.user, prefixes.user)
        guard let best else {
            throw .unknownDestinationPrefix(destination, validPrefixes: prefixes.all)
        }
        return best.kind
    }

    /// Where a SUBSCRIBE to `destination` by `user` registers.
    ///
    /// A /user subscription names no user: `/user/queue/x` (or `/user/topic/x`) by U registers
    /// `/user/U/queue/x`. Anything else after the /user prefix would be another user's
    /// destination and is forbidden, as is an empty user name, one containing `/` (it could
    /// forge another user's registration: `a/topic` + `queue/x` = `a` + `topic/queue/x`) or one
    /// with a wildcard segment.
    func subscriptionRoute(for destination: String, user: String) throws(BrokerError) -> Route {
        switch try kind(of: destination) {
        case .topic:
            return .topic(pattern: destination)
        case .queue:
            guard !syntax.isPattern(destination) else { throw .wildcardNotAllowed(destination) }
            return .queue(name: destination)
        case .user:
            let suffix = Substring(destination.utf8.dropFirst(prefixes.user.utf8.count))
            let ownForm = [prefixes.queue, prefixes.topic].contains { prefix in
                let inner = prefix.utf8.drop { $0 == UInt8(ascii: "/") }
                return !inner.isEmpty && suffix.utf8.starts(with: inner)
            }
            guard ownForm, !user.isEmpty, !user.utf8.contains(UInt8(ascii: "/")) else {
                throw .forbiddenUserDestination(destination)
            }
            guard !syntax.isPattern(destination) else { throw .wildcardNotAllowed(destination) }
            let registered = prefixes.user + user + "/" + suffix
            // A user named `*` or `a.#` would otherwise register a pattern over other users.
            guard !syntax.isPattern(registered) else { throw .forbiddenUserDestination(destination) }
            return .user(registered: registered, shown: destination)
        }
    }
}
