import Auth
import Crypto
import CryptoExtras
import Foundation
import JWTKit
import XCTest

/// Real keys generated per run: an HMAC secret, RSA, P-256 and Ed25519 key pairs.
final class TokenVerifierTests: XCTestCase {
    static let secret = String(repeating: "0123456789abcdef", count: 4) + "-test-secret"
    let now: Int64 = 1_800_000_000

    func hmacKey(_ secret: String = TokenVerifierTests.secret, _ algorithm: String = "HS256") async throws -> VerificationKey {
        try await TokenKeys.load([.hmac(secret: secret, algorithm: algorithm)])[0]
    }

    func claims(_ extra: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = ["sub": "alice", "exp": now + 60, "iat": now - 1, "roles": ["agent", "admin"]]
        for (name, value) in extra { claims[name] = value }
        return claims
    }

    func verify(_ token: String, keys: [VerificationKey], policy: TokenPolicy = .init()) -> Result<VerifiedToken, TokenRefusal> {
        TokenVerifier(keys: keys, policy: policy).verify(token, now: now)
    }

    func testValidHS256TokenGivesUserRolesAndExpiry() async throws {
        let key = try await hmacKey()
        let token = try TokenMinter.mint(claims: claims(), key: key)
        XCTAssertEqual(try verify(token, keys: [key]).get(), VerifiedToken(user: "alice", roles: ["agent", "admin"], expiresAt: now + 60))
    }

    func testHS384AndHS512AreAccepted() async throws {
        for algorithm in ["HS384", "HS512"] {
            let key = try await hmacKey(Self.secret, algorithm)
            XCTAssertNoThrow(try verify(try TokenMinter.mint(claims: claims(), key: key), keys: [key]).get(), algorithm)
        }
    }

    func testExpiredTokenIsRefusedAfterTheLeeway() async throws {
        let key = try await hmacKey()
        let policy = TokenPolicy(leewaySeconds: 10)
        XCTAssertNoThrow(try verify(try TokenMinter.mint(claims: claims(["exp": now - 5]), key: key), keys: [key], policy: policy).get())
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["exp": now - 10]), key: key), keys: [key], policy: policy), .failure(.expired))
    }

    func testNotYetValidAndFutureIssuedTokensAreRefused() async throws {
        let key = try await hmacKey()
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["nbf": now + 120]), key: key), keys: [key]), .failure(.notYetValid))
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["iat": now + 120]), key: key), keys: [key]), .failure(.issuedInTheFuture))
        XCTAssertNoThrow(try verify(try TokenMinter.mint(claims: claims(["nbf": now + 20]), key: key), keys: [key]).get(), "within the leeway")
    }

    func testWrongSignatureIsRefused() async throws {
        let signer = try await hmacKey(String(repeating: "another-secret-", count: 5))
        let verifierKey = try await hmacKey()
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(), key: signer), keys: [verifierKey]), .failure(.badSignature))
    }

    func testTamperedPayloadIsRefused() async throws {
        let key = try await hmacKey()
        let token = try TokenMinter.mint(claims: claims(), key: key)
        let parts = token.split(separator: ".")
        let forged = try TokenMinter.raw(header: ["alg": "HS256"], claims: claims(["sub": "bob"]), key: nil).split(separator: ".")[1]
        XCTAssertEqual(verify("\(parts[0]).\(forged).\(parts[2])", keys: [key]), .failure(.badSignature))
    }

    func testAlgNoneIsRefused() async throws {
        let key = try await hmacKey()
        for name in ["none", "None", "NONE"] {
            let token = try TokenMinter.raw(header: ["alg": name, "typ": "JWT"], claims: claims(), key: nil)
            XCTAssertEqual(verify(token, keys: [key]), .failure(.algorithmNotAllowed(name)))
        }
    }

    func testAlgorithmWithoutAConfiguredKeyIsRefused() async throws {
        let key = try await hmacKey()
        let other = try await hmacKey(Self.secret, "HS512")
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(), key: other), keys: [key]), .failure(.algorithmNotAllowed("HS512")))
    }

    func testRSAPublicKeyUsedAsAnHMACSecretIsRefused() async throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let publicPEM = rsa.publicKey.pemRepresentation
        let rsaKey = try await TokenKeys.load([.pem(publicPEM, algorithm: "RS256")])[0]
        // The attacker signs with HS256 using the public key text as the secret.
        let confused = try await hmacKey(publicPEM)
        let token = try TokenMinter.mint(claims: claims(), key: confused)
        XCTAssertEqual(verify(token, keys: [rsaKey]), .failure(.algorithmNotAllowed("HS256")))
        // Even with an HMAC key configured too, the RSA key never checks an HS256 token.
        let hmac = try await hmacKey()
        XCTAssertEqual(verify(token, keys: [rsaKey, hmac]), .failure(.badSignature))
    }

    func testRS256ES256AndEdDSATokensAreAccepted() async throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let p256 = P256.Signing.PrivateKey()
        let p384 = P384.Signing.PrivateKey()
        let ed = Curve25519.Signing.PrivateKey()
        let pairs: [(String, String, String)] = [
            ("RS256", rsa.pemRepresentation, rsa.publicKey.pemRepresentation),
            ("RS512", rsa.pemRepresentation, rsa.publicKey.pemRepresentation),
            ("ES256", p256.pemRepresentation, p256.publicKey.pemRepresentation),
            ("ES384", p384.pemRepresentation, p384.publicKey.pemRepresentation),
            ("EdDSA", try edPEM(ed), try edPublicPEM(ed)),
        ]
        for (algorithm, privatePEM, publicPEM) in pairs {
            let signer = try await TokenKeys.load([.pem(privatePEM, algorithm: algorithm)])[0]
            let verifier = try await TokenKeys.load([.pem(publicPEM, algorithm: algorithm)])[0]
            XCTAssertEqual(verifier.algorithm, algorithm)
            let token = try TokenMinter.mint(claims: claims(), key: signer)
            XCTAssertEqual(try verify(token, keys: [verifier]).get().user, "alice", algorithm)
            let stranger = try await TokenKeys.load([.pem(P256.Signing.PrivateKey().publicKey.pemRepresentation, algorithm: "ES256")])[0]
            XCTAssertEqual(verify(token, keys: [stranger]), .failure(algorithm == "ES256" ? .badSignature : .algorithmNotAllowed(algorithm)), algorithm)
        }
    }

    func testJWKSKeysAreChosenByKid() async throws {
        let a = P256.Signing.PrivateKey(), b = P256.Signing.PrivateKey()
        func jwk(_ key: P256.Signing.PrivateKey, _ kid: String) -> String {
            let raw = key.publicKey.rawRepresentation
            return #"{"kty":"EC","crv":"P-256","alg":"ES256","kid":"\#(kid)","x":"\#(b64url(raw.prefix(32)))","y":"\#(b64url(raw.suffix(32)))"}"#
        }
        let keys = try await TokenKeys.load([.jwks(#"{"keys":[\#(jwk(a, "one")),\#(jwk(b, "two"))]}"#)])
        XCTAssertEqual(keys.map(\.id), ["one", "two"])
        let signerB = try await TokenKeys.load([.pem(b.pemRepresentation, algorithm: "ES256")])[0]
        XCTAssertEqual(try verify(try TokenMinter.mint(claims: claims(), key: signerB, kid: "two"), keys: keys).get().user, "alice")
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(), key: signerB, kid: "one"), keys: keys), .failure(.badSignature))
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(), key: signerB, kid: "three"), keys: keys), .failure(.unknownKey))
    }

    func testIssuerAndAudienceAreChecked() async throws {
        let key = try await hmacKey()
        let policy = TokenPolicy(issuer: "https://id.example.com", audience: "stampede")
        let good = claims(["iss": "https://id.example.com", "aud": ["other", "stampede"]])
        XCTAssertNoThrow(try verify(try TokenMinter.mint(claims: good, key: key), keys: [key], policy: policy).get())
        XCTAssertNoThrow(try verify(try TokenMinter.mint(claims: claims(["iss": "https://id.example.com", "aud": "stampede"]), key: key), keys: [key], policy: policy).get())
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["iss": "https://evil.example.com", "aud": "stampede"]), key: key), keys: [key], policy: policy), .failure(.wrongIssuer))
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["iss": "https://id.example.com", "aud": "other"]), key: key), keys: [key], policy: policy), .failure(.wrongAudience))
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["iss": "https://id.example.com"]), key: key), keys: [key], policy: policy), .failure(.wrongAudience))
    }

    func testConfiguredUserAndRolesClaims() async throws {
        let key = try await hmacKey()
        let policy = TokenPolicy(userClaim: "uid", rolesClaim: "scope")
        let token = try TokenMinter.mint(claims: claims(["uid": "carol", "scope": "agent reader"]), key: key)
        XCTAssertEqual(try verify(token, keys: [key], policy: policy).get(), VerifiedToken(user: "carol", roles: ["agent", "reader"], expiresAt: now + 60))
        XCTAssertEqual(verify(try TokenMinter.mint(claims: ["exp": now + 60], key: key), keys: [key]), .failure(.missingUser))
    }

    func testTokenWithoutExpiryIsRefusedUnlessAllowed() async throws {
        let key = try await hmacKey()
        let token = try TokenMinter.mint(claims: ["sub": "alice"], key: key)
        XCTAssertEqual(verify(token, keys: [key]), .failure(.missingExpiry))
        XCTAssertNoThrow(try verify(token, keys: [key], policy: TokenPolicy(requireExpiry: false)).get())
    }

    func testMalformedTokensAreRefused() async throws {
        let key = try await hmacKey()
        for token in ["", "abc", "a.b", "a.b.c.d", "!!.??.##", String(repeating: "a", count: 20_000)] {
            XCTAssertEqual(verify(token, keys: [key]), .failure(.malformed), token.prefix(20).description)
        }
        XCTAssertEqual(verify(try TokenMinter.mint(claims: claims(["exp": "tomorrow"]), key: key), keys: [key]), .failure(.malformed))
    }

    func testShortHMACSecretIsRefusedAtLoad() async {
        do {
            _ = try await TokenKeys.load([.hmac(secret: "short", algorithm: "HS256")])
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error as? TokenKeyError, .weakSecret(minimumBytes: 32))
        }
    }

    func testRefusalReasonsNeverContainTheToken() async throws {
        let key = try await hmacKey()
        let token = try TokenMinter.raw(header: ["alg": "none"], claims: claims(), key: nil)
        if case .failure(let refusal) = verify(token, keys: [key]) {
            XCTAssertFalse(refusal.reason.contains(token))
        } else {
            XCTFail("accepted")
        }
    }

    private func edPEM(_ key: Curve25519.Signing.PrivateKey) throws -> String {
        // PKCS#8 for Ed25519: fixed prefix + 32 raw bytes.
        let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + key.rawRepresentation
        return "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString())\n-----END PRIVATE KEY-----"
    }

    private func edPublicPEM(_ key: Curve25519.Signing.PrivateKey) throws -> String {
        let der: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + key.publicKey.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n\(Data(der).base64EncodedString())\n-----END PUBLIC KEY-----"
    }
}

func b64url(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}
