public import JWTKit
internal import Foundation

/// Where a verification key comes from (`auth.jwt.*`). Files are read by the caller; this only
/// turns their text into keys.
public enum TokenKeySource: Sendable, Equatable {
    /// A shared secret for `HS256`, `HS384` or `HS512`.
    case hmac(secret: String, algorithm: String)
    /// A PEM public key (or, to mint development tokens, a private key): RSA for `RS256`/`RS384`/
    /// `RS512`, EC P-256/P-384 for `ES256`/`ES384`, Ed25519 for `EdDSA`.
    case pem(String, algorithm: String)
    /// A JWKS document; every key needs `kid` and `alg`.
    case jwks(String)
}

public enum TokenKeyError: Error, Equatable, CustomStringConvertible {
    case unsupportedAlgorithm(String)
    case unreadableKey(String)
    case weakSecret(minimumBytes: Int)

    public var description: String {
        switch self {
        case .unsupportedAlgorithm(let name):
            "unsupported JWT algorithm '\(name)': use HS256/384/512, RS256/384/512, ES256/384 or EdDSA"
        case .unreadableKey(let what): "cannot read the JWT key: \(what)"
        case .weakSecret(let minimum): "the JWT HMAC secret must be at least \(minimum) bytes"
        }
    }
}

public enum TokenKeys {
    /// HMAC secrets shorter than the hash output are refused (RFC 7518 §3.2): 32, 48 and 64
    /// bytes for HS256, HS384 and HS512.
    public static let hmacAlgorithms = ["HS256", "HS384", "HS512"]
    public static let pemAlgorithms = ["RS256", "RS384", "RS512", "ES256", "ES384", "EdDSA"]

    /// Builds the keys with jwt-kit. jwt-kit hands its signers out only through its key
    /// collection actor, so this is async; the node calls it once at startup, before its loop
    /// runs, and verifies synchronously afterwards.
    public static func load(_ sources: [TokenKeySource]) async throws -> [VerificationKey] {
        var keys: [VerificationKey] = []
        for source in sources {
            let collection = JWTKeyCollection()
            switch source {
            case .hmac(let secret, let algorithm):
                let digest: DigestAlgorithm
                let minimum: Int
                switch algorithm {
                case "HS256": (digest, minimum) = (.sha256, 32)
                case "HS384": (digest, minimum) = (.sha384, 48)
                case "HS512": (digest, minimum) = (.sha512, 64)
                default: throw TokenKeyError.unsupportedAlgorithm(algorithm)
                }
                guard secret.utf8.count >= minimum else { throw TokenKeyError.weakSecret(minimumBytes: minimum) }
                await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: digest)
                keys.append(VerificationKey(id: nil, signer: try await collection.getKey()))
            case .pem(let pem, let algorithm):
                do {
                    try await add(pem: pem, algorithm: algorithm, to: collection)
                } catch let error as TokenKeyError {
                    throw error
                } catch {
                    throw TokenKeyError.unreadableKey("not a \(algorithm) PEM key")
                }
                keys.append(VerificationKey(id: nil, signer: try await collection.getKey()))
            case .jwks(let json):
                let set: JWKS
                do { set = try JSONDecoder().decode(JWKS.self, from: Data(json.utf8)) } catch {
                    throw TokenKeyError.unreadableKey("not a JWKS document")
                }
                for jwk in set.keys {
                    guard let kid = jwk.keyIdentifier, let algorithm = jwk.algorithm else {
                        throw TokenKeyError.unreadableKey("every JWKS key needs 'kid' and 'alg'")
                    }
                    guard pemAlgorithms.contains(algorithm.rawValue) else { throw TokenKeyError.unsupportedAlgorithm(algorithm.rawValue) }
                    do {
                        try await collection.add(jwk: jwk)
                        keys.append(VerificationKey(id: kid.string, signer: try await collection.getKey(for: kid, alg: algorithm.rawValue)))
                    } catch {
                        throw TokenKeyError.unreadableKey("JWKS key '\(kid.string)'")
                    }
                }
            }
        }
        return keys
    }

    private static func add(pem: String, algorithm: String, to collection: JWTKeyCollection) async throws {
        let isPrivate = pem.contains("PRIVATE KEY")
        switch algorithm {
        case "RS256", "RS384", "RS512":
            let digest: DigestAlgorithm = algorithm == "RS256" ? .sha256 : algorithm == "RS384" ? .sha384 : .sha512
            if isPrivate {
                await collection.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: digest)
            } else {
                await collection.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: digest)
            }
        case "ES256":
            if isPrivate { await collection.add(ecdsa: try ES256PrivateKey(pem: pem)) } else { await collection.add(ecdsa: try ES256PublicKey(pem: pem)) }
        case "ES384":
            if isPrivate { await collection.add(ecdsa: try ES384PrivateKey(pem: pem)) } else { await collection.add(ecdsa: try ES384PublicKey(pem: pem)) }
        case "EdDSA":
            if isPrivate { await collection.add(eddsa: try EdDSA.PrivateKey(pem: pem)) } else { await collection.add(eddsa: try EdDSA.PublicKey(pem: pem)) }
        default:
            throw TokenKeyError.unsupportedAlgorithm(algorithm)
        }
    }
}

/// Development tokens (`stampede token`, tests): a compact JWS signed with one key.
public enum TokenMinter {
    public static func mint(claims: [String: Any], key: VerificationKey, kid: String? = nil) throws -> String {
        var header: [String: Any] = ["alg": key.algorithm, "typ": "JWT"]
        if let kid = kid ?? key.id { header["kid"] = kid }
        let encodedHeader = Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])))
        let encodedClaims = Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])))
        let signingInput = encodedHeader + "." + encodedClaims
        return signingInput + "." + Base64URL.encode(try key.sign(Array(signingInput.utf8)))
    }

    /// Any header and claims, signed with `key` or not at all (tests of refusals).
    public static func raw(header: [String: Any], claims: [String: Any], key: VerificationKey?) throws -> String {
        let signingInput = Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))) + "."
            + Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])))
        let signature = try key.map { try $0.sign(Array(signingInput.utf8)) } ?? []
        return signingInput + "." + Base64URL.encode(signature)
    }
}
