internal import Applications
internal import Broker
internal import ClusterBus
internal import STOMPWire
internal import STOMPSession
internal import Logging

/// Presence: a user joins a watched destination with their first subscription to it anywhere in
/// the cluster and leaves with the last; each change is published once, by the node that made
/// it, to the companion destination (`<destination><presence.suffix>`).
extension Node {
    func noteJoin(_ destination: String, id: String, of connection: ClientConnection) {
        guard presence.watches(destination) else { return }
        let member = PresenceTracker.Member(destination: destination, user: connection.session.principal)
        presenceMemberships[connection.id, default: [:]][id] = member
        guard presence.add(member) else { return }
        bus.updatePresence(destination: destination, user: member.user, present: true) { [weak self] changed in
            if changed { self?.publishPresence(joined: true, destination: destination, user: member.user) }
        }
    }

    func noteLeave(id: String, session: SessionID) {
        guard let member = presenceMemberships[session]?.removeValue(forKey: id) else { return }
        if presenceMemberships[session]?.isEmpty == true { presenceMemberships[session] = nil }
        leave(member)
    }

    func noteLeaves(session: SessionID) {
        guard let members = presenceMemberships.removeValue(forKey: session) else { return }
        for member in members.values { leave(member) }
    }

    private func leave(_ member: PresenceTracker.Member) {
        guard presence.remove(member) else { return }
        bus.updatePresence(destination: member.destination, user: member.user, present: false) { [weak self] changed in
            if changed { self?.publishPresence(joined: false, destination: member.destination, user: member.user) }
        }
    }

    /// Users present in a watched `destination`, cluster-wide (for embedding programs and the API).
    public func presentUsers(in destination: String, completion: @escaping ([String]) -> Void) {
        bus.presentUsers(in: destination, completion: completion)
    }

    /// A topic message to the companion destination: `{"event":"join"|"leave","user":…,"destination":…}`.
    func publishPresence(joined: Bool, destination: String, user: String) {
        let headers: STOMPHeaders = [
            STOMPHeader(name: "content-type", value: "application/json"),
            STOMPHeader(name: "presence-event", value: joined ? "join" : "leave"),
            STOMPHeader(name: "presence-user", value: user),
        ]
        counters.presenceEvents += 1
        do {
            // The same way out as a backend's message to a topic (`routeReply`).
            try routeReply(ApplicationReply(destination: presence.companion(of: destination), headers: headers,
                                            body: PresenceTracker.eventBody(joined: joined, user: user, destination: destination)))
        } catch {
            logger.debug("presence event refused", metadata: ["stomp.destination": "\(destination)", "reason": "\(error.message)"])
        }
    }
}
