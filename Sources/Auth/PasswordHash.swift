internal import CryptoExtras
internal import Foundation

/// Salted, slow password hashes for the users file: PBKDF2-HMAC-SHA256 (swift-crypto), written
/// `pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>`. Never plaintext.
public enum PasswordHash {
    /// Work factor: swift-crypto's minimum for PBKDF2 (OWASP's figure for PBKDF2-HMAC-SHA512).
    /// Fewer iterations are refused when the users file is loaded.
    public static let defaultIterations = 210_000
    public static let minimumIterations = 210_000
    public static let saltBytes = 16
    static let hashBytes = 32
    static let scheme = "pbkdf2-sha256"

    /// A new entry for `password` with a fresh random salt.
    public static func make(_ password: String, iterations: Int = defaultIterations) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try make(password, salt: salt, iterations: iterations)
    }

    static func make(_ password: String, salt: [UInt8], iterations: Int) throws -> String {
        let hash = try derive(password, salt: salt, iterations: iterations)
        return "\(scheme)$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` matches `entry`; false for malformed entries. Constant-time compare.
    public static func verify(_ password: String, against entry: String) -> Bool {
        let parts = entry.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme[...], let iterations = Int(parts[1]), iterations >= minimumIterations, iterations <= 10_000_000,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])),
              expected.count == hashBytes,
              let actual = try? derive(password, salt: Array(salt), iterations: iterations)
        else { return false }
        return constantTimeEquals(Array(expected), actual)
    }

    /// Whether `entry` is a well-formed hash (checked when the users file is loaded).
    public static func isWellFormed(_ entry: String) -> Bool {
        let parts = entry.split(separator: "$", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == scheme[...] && Int(parts[1]).map { $0 >= minimumIterations && $0 <= 10_000_000 } == true
            && Data(base64Encoded: String(parts[2])) != nil && Data(base64Encoded: String(parts[3]))?.count == hashBytes
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: hashBytes, rounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Compares without an early exit, so timing does not reveal how much matched.
public func constantTimeEquals(_ x: [UInt8], _ y: [UInt8]) -> Bool {
    var diff = UInt8(truncatingIfNeeded: x.count ^ y.count)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
