import Auth
import XCTest

final class PasswordHashTests: XCTestCase {
    func testHashVerifiesTheRightPasswordOnly() throws {
        let entry = try PasswordHash.make("s3cret!")
        XCTAssertTrue(entry.hasPrefix("pbkdf2-sha256$210000$"))
        XCTAssertFalse(entry.contains("s3cret"))
        XCTAssertTrue(PasswordHash.verify("s3cret!", against: entry))
        XCTAssertFalse(PasswordHash.verify("s3cret", against: entry))
        XCTAssertFalse(PasswordHash.verify("", against: entry))
    }

    func testSaltMakesEveryHashDifferent() throws {
        XCTAssertNotEqual(try PasswordHash.make("same"), try PasswordHash.make("same"))
    }

    func testMalformedEntriesNeverVerify() {
        for entry in ["", "plaintext", "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "md5$1000$AAAA$AAAA", "pbkdf2-sha256$1000$!!$AAAA"] {
            XCTAssertFalse(PasswordHash.verify("plaintext", against: entry), entry)
            XCTAssertFalse(PasswordHash.isWellFormed(entry), entry)
        }
    }

    func testDefaultIterationsAreStated() {
        XCTAssertEqual(PasswordHash.defaultIterations, 210_000)
    }
}

final class UsersFileTests: XCTestCase {
    func testParsesUsersWithRolesAndSkipsComments() throws {
        let hash = try PasswordHash.make("pw")
        let file = try UsersFile(parsing: "# users\n\nalice:\(hash)\nzoe:\(hash):agent,admin\r\n")
        XCTAssertEqual(file.entries["alice"]?.roles, [])
        XCTAssertEqual(file.entries["zoe"]?.roles, ["agent", "admin"])
    }

    func testPlaintextPasswordsAreRefusedWithTheLineNumber() {
        XCTAssertThrowsError(try UsersFile(parsing: "# ok\nalice:hunter2\n")) { error in
            XCTAssertEqual((error as? UsersFileError)?.line, 2)
            XCTAssertFalse("\(error)".contains("hunter2"))
        }
    }

    func testUpdatingReplacesOrAppendsOneLine() {
        let text = "# users\nalice:old\nbob:x\n"
        XCTAssertEqual(UsersFile.updating(text, user: "alice", line: "alice:new"), "# users\nalice:new\nbob:x\n")
        XCTAssertEqual(UsersFile.updating(text, user: "carol", line: "carol:h"), "# users\nalice:old\nbob:x\ncarol:h\n")
        XCTAssertEqual(UsersFile.updating("", user: "carol", line: "carol:h"), "carol:h\n")
    }
}

final class TokenExtractionTests: XCTestCase {
    let all = TokenExtraction(sources: Set(TokenSource.allCases))

    func testHandshakeTokenFromQueryBearerOrCookie() {
        XCTAssertEqual(all.fromHandshake(query: "x=1&access_token=abc.def%2Eghi", header: { _ in nil }), "abc.def.ghi")
        XCTAssertEqual(all.fromHandshake(query: nil, header: { $0 == "authorization" ? "Bearer tok" : nil }), "tok")
        XCTAssertEqual(all.fromHandshake(query: nil, header: { $0 == "authorization" ? "bearer  tok" : nil }), "tok")
        XCTAssertEqual(all.fromHandshake(query: nil, header: { $0 == "cookie" ? "a=1; stampede_token=\"ck\"; b=2" : nil }), "ck")
        XCTAssertNil(all.fromHandshake(query: "access_token=", header: { $0 == "authorization" ? "Basic xyz" : nil }))
    }

    func testDisabledSourcesAreIgnored() {
        let onlyCookie = TokenExtraction(sources: [.cookie])
        XCTAssertNil(onlyCookie.fromHandshake(query: "access_token=abc", header: { $0 == "authorization" ? "Bearer tok" : nil }))
        XCTAssertNil(onlyCookie.fromConnect(passcode: "p", header: { _ in "t" }))
    }

    func testConnectTokenFromHeaderAuthorizationOrPasscode() {
        XCTAssertEqual(all.fromConnect(passcode: "p", header: { $0 == "token" ? "t" : nil }), "t")
        XCTAssertEqual(all.fromConnect(passcode: "p", header: { $0 == "Authorization" ? "Bearer a" : nil }), "a")
        XCTAssertEqual(all.fromConnect(passcode: "p", header: { _ in nil }), "p")
        XCTAssertNil(all.fromConnect(passcode: nil, header: { _ in nil }))
    }
}

final class TokenBucketTests: XCTestCase {
    func testBucketAllowsTheBurstThenTheRate() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 5, now: 0)
        for _ in 0..<5 { XCTAssertTrue(bucket.take(1, now: 0)) }
        XCTAssertFalse(bucket.take(1, now: 0))
        XCTAssertFalse(bucket.take(1, now: 50))
        XCTAssertTrue(bucket.take(1, now: 100))
        XCTAssertTrue(bucket.take(4, now: 1_000))
    }

    func testForcedTakeGoesIntoDebtAndReportsTheWait() {
        var bucket = TokenBucket(ratePerSecond: 1_000, burst: 100, now: 0)
        XCTAssertFalse(bucket.take(300, now: 0, force: true))
        XCTAssertEqual(bucket.millisecondsUntilPositive(), 200)
        bucket.refill(now: 200)
        XCTAssertEqual(bucket.millisecondsUntilPositive(), 0)
    }
}
