public import JWTKit
internal import Foundation

/// One key tokens may be signed with. The key decides the algorithm: a token is only checked
/// with keys whose algorithm is exactly the one its header names, so an RSA public key can never
/// be used as an HMAC secret (HS/RS confusion) and `alg: none` matches no key.
public struct VerificationKey: Sendable {
    /// `kid` (JWKS keys, or a name given in the configuration); nil for an unnamed key.
    public let id: String?
    /// The JWT algorithm name (`HS256`, `RS256`, `ES256`, `EdDSA`, …).
    public let algorithm: String
    /// jwt-kit's signer for this key; its `verify(_:signs:)` is synchronous.
    let signer: any JWTAlgorithm

    public init(id: String?, signer: any JWTAlgorithm) {
        self.id = id
        self.algorithm = signer.name
        self.signer = signer
    }

    /// Signs `message` (development tokens, tests).
    public func sign(_ message: [UInt8]) throws -> [UInt8] { try signer.sign(message) }
}

/// Verifies compact JWS tokens on the node's loop: synchronous, no I/O. Signature math is
/// jwt-kit's (swift-crypto); this type only decides which key may check which token and what
/// the claims must say.
public struct TokenVerifier: Sendable {
    public let keys: [VerificationKey]
    public let policy: TokenPolicy
    /// Tokens longer than this are refused before any decoding.
    public static let maxTokenBytes = 16 * 1024

    public init(keys: [VerificationKey], policy: TokenPolicy) {
        self.keys = keys
        self.policy = policy
    }

    /// The token's user and roles, or why it is refused. `now` is Unix time in seconds.
    public func verify(_ token: String, now: Int64) -> Result<VerifiedToken, TokenRefusal> {
        guard token.utf8.count <= Self.maxTokenBytes else { return .failure(.malformed) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Base64URL.decode(parts[0]),
              let signature = Base64URL.decode(parts[2]),
              let header = JSONObject.parse(headerBytes),
              let algorithm = header["alg"] as? String
        else { return .failure(.malformed) }
        // The allow-list is the configured keys' algorithms; `none` never has a key.
        guard algorithm.lowercased() != "none", keys.contains(where: { $0.algorithm == algorithm }) else {
            return .failure(.algorithmNotAllowed(algorithm))
        }
        var candidates = keys.filter { $0.algorithm == algorithm }
        if let kid = header["kid"] as? String {
            candidates = candidates.filter { $0.id == kid }
            if candidates.isEmpty { return .failure(.unknownKey) }
        }
        let signedPart = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let valid = candidates.contains { key in (try? key.signer.verify(signature, signs: signedPart)) == true }
        guard valid else { return .failure(.badSignature) }
        guard let payloadBytes = Base64URL.decode(parts[1]), let claims = JSONObject.parse(payloadBytes) else {
            return .failure(.malformed)
        }
        return check(claims, now: now)
    }

    private func check(_ claims: [String: Any], now: Int64) -> Result<VerifiedToken, TokenRefusal> {
        let leeway = policy.leewaySeconds
        let expiry = JSONObject.seconds(claims["exp"])
        if claims["exp"] != nil && expiry == nil { return .failure(.malformed) }
        if let expiry {
            if now >= expiry + leeway { return .failure(.expired) }
        } else if policy.requireExpiry {
            return .failure(.missingExpiry)
        }
        if claims["nbf"] != nil {
            guard let notBefore = JSONObject.seconds(claims["nbf"]) else { return .failure(.malformed) }
            if now + leeway < notBefore { return .failure(.notYetValid) }
        }
        if claims["iat"] != nil {
            guard let issuedAt = JSONObject.seconds(claims["iat"]) else { return .failure(.malformed) }
            if now + leeway < issuedAt { return .failure(.issuedInTheFuture) }
        }
        if let issuer = policy.issuer, claims["iss"] as? String != issuer { return .failure(.wrongIssuer) }
        if let audience = policy.audience {
            let audiences: [String] = (claims["aud"] as? String).map { [$0] } ?? (claims["aud"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard audiences.contains(audience) else { return .failure(.wrongAudience) }
        }
        guard let user = claims[policy.userClaim] as? String, !user.isEmpty else { return .failure(.missingUser) }
        var roles: Set<String> = []
        if let list = claims[policy.rolesClaim] as? [Any] {
            roles = Set(list.compactMap { $0 as? String })
        } else if let text = claims[policy.rolesClaim] as? String {
            roles = Set(text.split(separator: " ").map(String.init))
        }
        return .success(VerifiedToken(user: user, roles: roles, expiresAt: expiry))
    }
}

/// base64url without padding (RFC 7515 §2).
enum Base64URL {
    static func decode(_ text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ isAlphabet($0) }) else { return nil }
        var base64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch base64.utf8.count % 4 {
        case 1: return nil
        case 2: base64 += "=="
        case 3: base64 += "="
        default: break
        }
        return Data(base64Encoded: base64).map { Array($0) }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
    }
}

enum JSONObject {
    static func parse(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// A NumericDate: integer or fractional seconds (fractions truncated).
    static func seconds(_ value: Any?) -> Int64? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        let double = number.doubleValue
        guard double.isFinite, abs(double) < 1e15 else { return nil }
        return Int64(double)
    }

    /// JSONSerialization gives booleans as NSNumber too; `true` is not a date.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c" && (number == NSNumber(value: true) || number == NSNumber(value: false))
    }
}
