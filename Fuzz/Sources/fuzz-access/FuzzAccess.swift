import AccessRules
import Broker
import FuzzSupport
import Router

/// The authorization rules together with the broker they guard: no spelling of a destination
/// (case, `..`, `//`, percent-encoding, wildcards, the other separator, another prefix) lets a
/// session receive what its rules do not give it, nor another user's `/user` messages.
///
/// The input is NUL-separated texts: the first is what the session SUBSCRIBEs to, the others
/// are destinations published to. More probes are added: fixed ones aimed at other users and
/// denied topics, and the subscription with its wildcard segments filled in. The subscriber's
/// name is picked by the input's hash, among plain names and names with separators.
///
/// Checks: when the rules allow the SUBSCRIBE and the broker takes it, every delivery to the
/// session is of a destination the reference below (written from the rules' meaning, not from
/// `DestinationPatterns`) lets the user read; a `/user` publication reaches only the user it
/// names; SEND permission for a `/user` destination never names another user.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAccess(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: input)
    let texts = input.split(separator: 0, omittingEmptySubsequences: false).prefix(8).map { String(decoding: $0.prefix(256), as: UTF8.self) }
    let user = names[random.below(names.count)]
    let victim = names[random.below(names.count)]
    guard let destination = texts.first else { return 0 }
    check(subscribe: destination, user: user, victim: victim, probes: Array(texts.dropFirst()))
    return 0
}

/// Plain names, and names that contain what a destination is made of.
private let names = ["alice", "bob", "alice.queue", "alice.topic", "a", "queue", "topic", "ALICE", "alice bob", "%61lice", "*", "#", "a/b", "al.ice"]

private let rules = [
    "deny subscribe /topic/secret.# anyone",
    "allow subscribe /topic/chat.{user}.* authenticated",
    "allow subscribe /topic/public.# anyone",
    "allow subscribe /user/queue/# authenticated",
    "allow send /user/{user}.# authenticated",
].map { AccessRule($0)! }

private let policy = AccessPolicy(rules: rules, defaultAllows: false, syntax: DestinationSyntax())

private func check(subscribe destination: String, user: String, victim: String, probes extra: [String]) {
    let identity = Identity(user: user, endpoint: "fuzz")
    if policy.allows(.send, destination, for: identity), destination.utf8.starts(with: "/user/".utf8) {
        let target = String(decoding: destination.utf8.dropFirst(6).prefix { $0 != UInt8(ascii: "/") }, as: UTF8.self)
        invariant(target == user || target.utf8.starts(with: (user + ".").utf8), "SEND to \(destination) allowed for \(user)")
    }
    guard policy.allows(.subscribe, destination, for: identity) else { return }
    var broker = LocalBroker()
    let key = SubscriptionKey(session: 1, id: "s")
    do { _ = try broker.subscribe(key, destination: destination, user: user, ackMode: .auto, prefetch: nil) } catch { return }
    // Someone else listens too, so that publications have somewhere legitimate to go.
    _ = try? broker.subscribe(SubscriptionKey(session: 2, id: "v"), destination: "/user/queue/x", user: victim, ackMode: .auto, prefetch: nil)

    var probes = extra + filledIn(destination) + [
        "/topic/secret", "/topic/secret.x", "/topic/secret/x", "/topic/chat.\(victim).x", "/topic/chat/\(victim)/x",
        "/topic/chat.\(user).x.y", "/topic/chat.\(user)", "/topic/chat..\(user).x", "/topic//chat.\(user).x",
        "/user/\(victim)/queue/x", "/user/\(victim).queue.x", "/user/\(victim)/queue.x", "/user/\(victim)/topic/x",
    ]
    probes.append(contentsOf: probes.map { $0.split(separator: user, omittingEmptySubsequences: false).joined(separator: victim) })
    for probe in probes {
        guard let deliveries = try? broker.publish(destination: probe, headers: [], body: []) else { continue }
        for delivery in deliveries where delivery.subscription == key {
            invariant(mayRead(probe, user: user), "\(user) subscribed to \(destination) received \(probe)")
        }
    }
}

/// The subscription with each wildcard segment replaced by plain and awkward fillers.
private func filledIn(_ destination: String) -> [String] {
    ["x", "bob", "secret", "x.y", ""].map { filler in
        let parts = bytewiseSegments(destination).map { ["*", "#", "**"].contains($0) ? filler : $0 }
        var result = ""
        var separators = destination.utf8.filter(isSeparator).makeIterator()
        for (index, part) in parts.enumerated() {
            if index > 0, let separator = separators.next() { result.append(Character(Unicode.Scalar(separator))) }
            result += part
        }
        return result
    }
}

private func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".") }

/// Segments split on either separator byte, empty ones kept (bytes, as the broker sees them: a
/// combining mark after `.` makes one Character of the two, but the `.` still separates).
private func bytewiseSegments(_ text: String) -> [String] {
    text.utf8.split(omittingEmptySubsequences: false, whereSeparator: isSeparator).map { String(decoding: $0, as: UTF8.self) }
}

/// The reference: what the rules give `user`, for a concrete published destination.
private func mayRead(_ destination: String, user: String) -> Bool {
    if destination.utf8.starts(with: "/user/".utf8) {
        // Only the user a /user publication names may receive it.
        return destination.utf8.dropFirst(6).prefix { $0 != UInt8(ascii: "/") }.elementsEqual(user.utf8)
    }
    let segments = bytewiseSegments(destination)
    guard segments.count >= 3, segments[0].isEmpty, segments[1] == "topic" else { return false }
    // Destinations are names, not paths: `/topic/public/../secret` is under public.
    if segments[2] == "public" { return true }
    let plainUser = !user.utf8.contains(where: isSeparator) && !["*", "#", "**"].contains(user)
    return plainUser && segments.count == 5 && segments[2] == "chat" && segments[3] == user
}
