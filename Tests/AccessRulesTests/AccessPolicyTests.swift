import AccessRules
import Broker
import Router
import XCTest

final class AccessPolicyTests: XCTestCase {
    let alice = Identity(user: "alice", roles: ["customer"], endpoint: "chat")
    let agent = Identity(user: "zoe", roles: ["agent"], endpoint: "agent")
    let anonymous = Identity.anonymous(session: 9, endpoint: "ws")

    func policy(_ lines: [String], defaultAllows: Bool = false) -> AccessPolicy {
        AccessPolicy(rules: lines.map { AccessRule($0)! }, defaultAllows: defaultAllows, syntax: DestinationSyntax())
    }

    func testRuleLinesParseAndPrintBack() {
        for line in ["allow subscribe /topic/chat.{user}.* authenticated", "deny * /topic/# anyone", "allow * /queue/a role:agent",
                     "allow send /topic/x user:bob", "deny subscribe /topic/x anonymous"] {
            XCTAssertEqual(AccessRule(line)?.description, line)
        }
        XCTAssertEqual(AccessRule("allow send|subscribe /queue/a anyone")?.actions, [.send, .subscribe])
        for bad in ["allow", "permit send /a anyone", "allow post /a anyone", "allow send a anyone", "allow send /a role:", "allow send /a everyone"] {
            XCTAssertNil(AccessRule(bad), bad)
        }
    }

    func testUserPlaceholderAllowsOnlyTheOwnDestination() {
        let p = policy(["allow subscribe /topic/chat.{user}.* authenticated"])
        XCTAssertTrue(p.allows(.subscribe, "/topic/chat.alice.inbox", for: alice))
        XCTAssertFalse(p.allows(.subscribe, "/topic/chat.bob.inbox", for: alice))
        XCTAssertFalse(p.allows(.subscribe, "/topic/chat.alice.inbox", for: agent))
        XCTAssertFalse(p.allows(.subscribe, "/topic/chat.anonymous-9.inbox", for: anonymous))
        XCTAssertFalse(p.allows(.send, "/topic/chat.alice.inbox", for: alice), "only subscribe was allowed")
    }

    func testUserNamesThatAreNotOneSegmentNeverMatchThePlaceholder() {
        let p = policy(["allow subscribe /topic/chat.{user}.* authenticated"])
        for user in ["*", "#", "**", "a.b", "a/b"] {
            XCTAssertFalse(p.allows(.subscribe, "/topic/chat.\(user).x", for: Identity(user: user, endpoint: "ws")), user)
        }
    }

    func testFirstMatchWins() {
        let p = policy(["deny send /topic/announce anyone", "allow send /topic/# authenticated"], defaultAllows: true)
        XCTAssertFalse(p.allows(.send, "/topic/announce", for: alice))
        XCTAssertTrue(p.allows(.send, "/topic/other", for: alice))
        let reversed = policy(["allow send /topic/# authenticated", "deny send /topic/announce anyone"])
        XCTAssertTrue(reversed.allows(.send, "/topic/announce", for: alice))
    }

    func testDefaultPolicyDecidesWhenNoRuleApplies() {
        XCTAssertFalse(policy([], defaultAllows: false).allows(.send, "/topic/a", for: alice))
        XCTAssertTrue(policy([], defaultAllows: true).allows(.send, "/topic/a", for: alice))
    }

    func testEverySubjectKindInBothDirections() {
        let cases: [(String, Identity, Bool)] = [
            ("anyone", anonymous, true), ("authenticated", alice, true), ("authenticated", anonymous, false),
            ("anonymous", anonymous, true), ("anonymous", alice, false), ("role:agent", agent, true), ("role:agent", alice, false),
            ("user:alice", alice, true), ("user:alice", agent, false),
        ]
        for (who, identity, expected) in cases {
            XCTAssertEqual(policy(["allow send /queue/x \(who)"]).allows(.send, "/queue/x", for: identity), expected, who)
            XCTAssertEqual(policy(["deny send /queue/x \(who)"], defaultAllows: true).allows(.send, "/queue/x", for: identity), !expected, who)
        }
    }

    func testWildcardSubscriptionNeedsARuleCoveringAllOfIt() {
        let p = policy(["allow subscribe /topic/chat.{user}.# authenticated", "allow subscribe /topic/public.* anyone"])
        XCTAssertTrue(p.allows(.subscribe, "/topic/chat.alice.#", for: alice))
        XCTAssertTrue(p.allows(.subscribe, "/topic/public.*", for: alice))
        for sneaky in ["/topic/#", "/topic/**", "/topic/chat.#", "/topic/chat.*.inbox", "/topic/*.alice.x", "/topic/public.#", "/topic/public.*.*"] {
            XCTAssertFalse(p.allows(.subscribe, sneaky, for: alice), sneaky)
        }
    }

    func testDenyRuleCatchesWildcardsThatReachIt() {
        let p = policy(["deny subscribe /topic/secret.** anyone"], defaultAllows: true)
        for sneaky in ["/topic/#", "/topic/*.x", "/topic/secret.x", "/topic/secret/x", "/topic/**.x", "/topic/*/*", "/#"] {
            XCTAssertFalse(p.allows(.subscribe, sneaky, for: alice), sneaky)
        }
        XCTAssertTrue(p.allows(.subscribe, "/topic/public.x", for: alice))
        XCTAssertTrue(p.allows(.subscribe, "/topic/public.*", for: alice))
    }

    func testSpellingsOfAnotherDestinationAreNotCoveredByAnAllowRule() {
        let p = policy(["allow subscribe /topic/chat.{user}.* authenticated", "allow subscribe /user/queue/* authenticated"])
        for spelling in ["/topic/chat.ALICE.x", "/TOPIC/chat.alice.x", "/topic/chat.alice.x/..", "/topic/chat.alice..x", "/topic/chat.alice.x.y",
                         "/topic//chat.alice.x", "/topic/chat.%61lice.x", "/topic/chat.alice/../bob.x", "/user/bob/queue/x", "/user/queue/x/../../bob"] {
            let forBob = spelling.replacingOccurrences(of: "alice", with: "bob")
            XCTAssertFalse(p.allows(.subscribe, forBob, for: alice), forBob)
        }
        XCTAssertTrue(p.allows(.subscribe, "/user/queue/x", for: alice))
    }
}
